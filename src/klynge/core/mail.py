"""Every e-mail Klynge sends, built one way: a plain-text part and an accessible HTML
part (`<html lang="da">`, a `<title>`, real headings and links, no layout tables,
nothing that needs images), and a subject that is plain text on one line.

A message is described by a template base name, e.g. `meetings/mail/dispatch`:

- `<base>_subject.txt`: the subject, rendered *without* HTML escaping and folded onto
  one line (a cluster called "Øst & Vest" arrives as "Øst & Vest", not "Øst &amp; Vest");
- `<base>_body.txt`: the plain-text part, also rendered without escaping;
- `<base>_body.html`: the HTML part, with escaping, extending `core/mail/base.html`
  (which gets the rendered subject as `subject` for its `<title>` and `<h1>`).

A message that is one row's e-mail (an invitation, a meeting dispatch, a notice) gets
that row's own envelope sender with `set_return_path`, so a refusal reported later finds
its way back to the row (`klynge.core.bounces`); the visible From is not changed.

Mail is rendered in the programme's language (Danish) and time zone, whoever triggered
it. Mail that comes from elsewhere with only a text body (django-allauth's login codes)
gets its HTML part from `html_from_text`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from email.header import Header
from email.message import Message as StdMessage
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.html import urlize
from django.utils.safestring import mark_safe

_TOKEN = re.compile(r"[A-Za-z0-9!#$&+.^_`|~-]+")
_M = TypeVar("_M", bound=EmailMessage)


class Message(EmailMultiAlternatives):
    """`EmailMultiAlternatives` whose alternatives and attachments may carry MIME type
    parameters (`text/calendar; method=REQUEST`). Django would keep the parameters in
    the subtype and add its own charset beside any given one; here the charset is set
    once, by the MIME library, and every other parameter once."""

    def message(self, *args: Any, **kwargs: Any) -> Any:
        """The MIME message; a subject with letters beyond ASCII is encoded knowing its
        header's name, so it is not folded onto a line of its own: Django's encoding
        reads back with a leading space ("Subject: \\n =?utf-8?...")."""
        msg = super().message(*args, **kwargs)
        if not str(self.subject).isascii():
            del msg["Subject"]
            # Past Django's check for line breaks, which `one_line` has done already.
            StdMessage.__setitem__(
                msg, "Subject", Header(one_line(str(self.subject)), "utf-8", header_name="Subject")
            )
        return msg

    def _create_mime_attachment(self, content: Any, mimetype: str) -> StdMessage:
        kind, params = split_mimetype(mimetype)
        part: StdMessage = super()._create_mime_attachment(content, kind)  # type: ignore[misc]
        for key, value in params:
            if key != "charset":
                # A token stays bare (`method=REQUEST`, as calendar clients expect).
                part.set_param(key, value, requote=not _TOKEN.fullmatch(value))
        return part


def split_mimetype(mimetype: str) -> tuple[str, list[tuple[str, str]]]:
    """`"text/calendar; charset=utf-8; method=REQUEST"` → `("text/calendar",
    [("charset", "utf-8"), ("method", "REQUEST")])`."""
    kind, *rest = (piece.strip() for piece in mimetype.split(";"))
    params = []
    for piece in rest:
        if "=" in piece:
            key, value = piece.split("=", 1)
            params.append((key.strip().lower(), value.strip().strip('"')))
    return kind.lower(), params


def one_line(text: str) -> str:
    """A subject: all whitespace, line breaks included, folded to single spaces."""
    return " ".join(text.split())


def render_plain(template_name: str, context: dict[str, Any]) -> str:
    """Render a template as plain text: no HTML escaping, whatever the template says."""
    template = get_template(template_name)
    engine_template = getattr(template, "template", None)
    if engine_template is None:  # another template backend: it knows no autoescape flag
        return template.render(context)
    return str(engine_template.render(Context(context, autoescape=False)))


def _programme_language() -> Any:
    return translation.override(settings.LANGUAGE_CODE)


def build(
    template: str,
    context: dict[str, Any],
    *,
    to: Sequence[str],
    from_email: str | None = None,
    reply_to: Sequence[str] | None = None,
) -> Message:
    """The multipart message for `template` (see the module's docstring)."""
    with _programme_language(), timezone.override(timezone.get_default_timezone()):
        subject = one_line(render_plain(f"{template}_subject.txt", context))
        text = render_plain(f"{template}_body.txt", context)
        html = render_to_string(f"{template}_body.html", {**context, "subject": subject})
    message = Message(
        subject=subject,
        body=text,
        from_email=from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(to),
        reply_to=list(reply_to) if reply_to else None,
    )
    message.attach_alternative(html, "text/html")
    return message


def set_return_path(message: _M, *, kind: str, pk: int) -> _M:
    """Make the envelope sender (SMTP `MAIL FROM`, where bounces go) of `message` the
    address that names row `pk` of `kind` (`klynge.core.bounces.return_path`); the
    visible From stays as it was. Django's SMTP backend sends `from_email` as the
    envelope sender and writes the `From` header from `extra_headers["From"]` when it
    is there; a `Return-Path` header would be no use, the receiving server writes that
    one from the envelope. Off when `KLYNGE_BOUNCE_VERP` is (a relay that accepts only
    its own address as sender)."""
    from klynge.core.bounces import return_path

    if not settings.KLYNGE_BOUNCE_VERP:
        return message
    visible = str(message.extra_headers.get("From") or message.from_email)
    message.extra_headers["From"] = visible
    message.from_email = return_path(kind=kind, pk=pk, from_email=visible)
    return message


def html_from_text(subject: str, text: str) -> str:
    """An accessible HTML part for a message written as plain text: the subject as
    the title and the heading, each paragraph a paragraph, addresses as links."""
    paragraphs = [
        mark_safe("<br>\n".join(urlize(line.strip(), autoescape=True) for line in block))
        for block in _blocks(text)
    ]
    # In the language active now: the text was written in it (a login code is sent in
    # the language of the page that asked for it).
    return render_to_string(
        "core/mail/from_text.html", {"subject": one_line(subject), "paragraphs": paragraphs}
    )


def _blocks(text: str) -> list[list[str]]:
    blocks: list[list[str]] = [[]]
    for line in text.strip().splitlines():
        if line.strip():
            blocks[-1].append(line)
        elif blocks[-1]:
            blocks.append([])
    return [block for block in blocks if block]


def add_html_part(message: EmailMultiAlternatives) -> EmailMultiAlternatives:
    """Give a text-only message an HTML part built from its text (see `html_from_text`);
    a message that has one already is left as it is."""
    if not any(str(alt[1]).startswith("text/html") for alt in message.alternatives):
        html = html_from_text(str(message.subject), str(message.body))
        message.attach_alternative(html, "text/html")
    return message


def permanent_failure(error: BaseException) -> bool:
    """Whether the mail server refused the message for good (a 5xx reply: no such
    mailbox, domain unknown) — a bounce to show, not a failure to retry. Connection
    errors and 4xx replies are temporary."""
    import smtplib

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(
            code >= 500 for code, _message in error.recipients.values()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def send_notice_once(queryset, pk: int, template: str, context) -> str:
    """Send one queued notice — a row with `recipient`, `sent_at` and `last_error` — for
    the worker: locked while it is sent, never sent twice, a failure kept on the row for
    a later retry. `context(row)` gives the template's context (the site's address is
    added). Returns "sent", "skipped" or "failed"."""
    import logging

    from django.db import transaction

    with transaction.atomic():
        row = queryset.select_for_update(of=("self",)).get(pk=pk)
        if row.sent_at is not None:
            return "skipped"
        message = build(
            template, {**context(row), "site_url": settings.KLYNGE_SITE_URL}, to=[row.recipient]
        )
        # A report of a later refusal names the row (no domain marks notices yet: such a
        # report is kept in the bounce mailbox for a person, see `core.bounces`).
        set_return_path(message, kind=row._meta.label_lower, pk=row.pk)
        try:
            message.send()
        except Exception as error:  # SMTP/socket failure: keep it visible, retry later
            row.last_error = f"{type(error).__name__}: {error}"[:500]
            logging.getLogger(__name__).warning("%s %s failed: %s", template, pk, row.last_error)
            row.save(update_fields=["last_error"])
            return "failed"
        row.sent_at, row.last_error = timezone.now(), ""
        row.save(update_fields=["sent_at", "last_error"])
        return "sent"
