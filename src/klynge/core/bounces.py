"""Bounces that arrive after the mail server took a message: delivery status
notifications (RFC 3464, `multipart/report; report-type=delivery-status`) read from a
mailbox, matched to the e-mail they are about, and handed to the domain that sent it.

A refusal at SMTP time is seen by the sender at once (`klynge.core.mail.
permanent_failure`). A refusal further down the line — the relay took the message, the
recipient's server said "no such user" later — comes back as a new message to the
message's *envelope sender*. So every e-mail Klynge sends with an identity gets its own
envelope sender (VERP): `bounce+<kind>-<pk>-<mac>@<domain>` (`return_path`), where
`kind`/`pk` name the row that was sent (an invitation, a meeting dispatch) and `mac` is an
HMAC of them under the secret key, so a forged report cannot mark an arbitrary row.

The token is not `django.core.signing`'s `value:signature`: a `:` is not allowed in a bare
local part, the signature is case-sensitive base64 while mail systems may fold the case of
a local part, and the address must fit the 64 characters a local part may have. It is the
same keyed HMAC (`salted_hmac`, SHA-256), cut to 80 bits and written in lower-case base32.

The domains say what a refusal means for their rows in their own `bounces.py` (collected
with `autodiscover_modules("bounces")`, so `core` imports no domain)::

    @bounces.handles("invitation")
    def invitation_refused(pk: int, report: bounces.Report) -> bool: ...

A handler is a service: it owns its transaction, marks the row refused exactly as the
SMTP-time path does, and returns whether it changed anything (False when the row is gone,
already marked, or past caring).

Reading (`process_message`) never raises for a bad message: a report that is not
a delivery report (an out-of-office reply), has no valid token, or names an unknown kind
is recorded and *kept* for a person to look at; a delayed or temporary report is
recorded and changes nothing. Every message read is a `core.Bounce` row keyed by the
SHA-256 of its bytes, so reading the same message twice changes nothing the second time.
The mailbox readers (`maildir_process`, `imap_process`) move each message to a
`Processed` or a `Kept` folder after it is recorded, and leave a message whose processing
failed (a database error) where it was for the next run.
"""

from __future__ import annotations

import base64
import email
import email.policy
import hashlib
import imaplib
import logging
import mailbox
import re
import ssl
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parseaddr
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import autodiscover_modules

logger = logging.getLogger(__name__)

LOCAL_PART = "bounce"
_SALT = "klynge.core.bounces"
_KIND = re.compile(r"[a-z][a-z0-9_.]*[a-z0-9_]")
_ADDRESS = re.compile(
    rf"{LOCAL_PART}\+(?P<kind>{_KIND.pattern})-(?P<pk>[0-9]+)-(?P<mac>[a-z2-7]{{16}})@[^@\s]+",
    re.IGNORECASE,
)
# Where the address a report was delivered to may be found, the most reliable first:
# headers the receiving server adds from the envelope, then what the reporter wrote.
_ENVELOPE_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
_REPORT_TYPES = {"message/delivery-status", "message/global-delivery-status"}

PROCESSED_FOLDER = "Processed"
KEPT_FOLDER = "Kept"


# --- The return path ----------------------------------------------------------------------


def _mac(kind: str, pk: int, secret: str | None = None) -> str:
    digest = salted_hmac(_SALT, f"{kind}-{pk}", secret=secret, algorithm="sha256").digest()
    return base64.b32encode(digest[:10]).decode().lower()


def return_path(*, kind: str, pk: int, from_email: str) -> str:
    """The envelope sender for the e-mail that is row `pk` of `kind`:
    `bounce+<kind>-<pk>-<mac>@<KLYNGE_BOUNCE_DOMAIN or the domain of from_email>`."""
    if not _KIND.fullmatch(kind):
        raise ValueError(f"A bounce kind is lower-case letters, digits, '_' and '.': {kind!r}")
    domain = settings.KLYNGE_BOUNCE_DOMAIN or parseaddr(from_email)[1].rpartition("@")[2]
    local = f"{LOCAL_PART}+{kind}-{int(pk)}-{_mac(kind, int(pk))}"
    if len(local) > 64:  # RFC 5321's limit for a local part
        raise ValueError(f"The return path for {kind} {pk} is too long.")
    return f"{local}@{domain or 'localhost'}"


def parse_return_path(address: str) -> tuple[str, int] | None:
    """`(kind, pk)` named by a return path made by `return_path`, or None when the
    address is not one or its MAC is wrong (a forgery, a mangled address)."""
    match = _ADDRESS.fullmatch(address.strip().strip("<>"))
    if match is None:
        return None
    kind, pk, mac = match["kind"].lower(), int(match["pk"]), match["mac"].lower()
    # Mail sent before a key rotation still comes back while the old key is a fallback.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if any(constant_time_compare(mac, _mac(kind, pk, secret)) for secret in secrets):
        return kind, pk
    return None


# --- Reading a report ---------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What a delivery status notification says about the one recipient it is about."""

    action: str  # failed, delayed, delivered, relayed, expanded (RFC 3464 2.3.3)
    status: str  # the enhanced status code, e.g. 5.1.1
    recipient: str  # Final-Recipient's address
    diagnostic: str  # Diagnostic-Code without its type, on one line

    @property
    def permanent(self) -> bool:
        """The address was refused for good: `Action: failed` with a 5.x.x status. A
        failure with a 4.x.x status (the sender's queue gave up) says nothing about the
        address."""
        return self.action == "failed" and self.status.startswith("5.")

    @property
    def temporary(self) -> bool:
        return self.action == "delayed" or self.status.startswith("4.")

    def summary(self) -> str:
        """One line for a row's `last_error`, like an SMTP-time refusal's."""
        text = f"Delivery report {self.action} {self.status}".strip()
        if self.recipient:
            text += f" for {self.recipient}"
        if self.diagnostic:
            text += f": {self.diagnostic}"
        return text[:500]


def _one_line(value: Any) -> str:
    return " ".join(str(value or "").split())


def _typed_value(value: Any) -> str:
    """`rfc822; a@b.dk` → `a@b.dk`; `smtp; 550 ...` → `550 ...`."""
    text = _one_line(value)
    return text.split(";", 1)[1].strip() if ";" in text else text


def _status_blocks(part: Message) -> list[Message]:
    """The field groups of a delivery-status part: the per-message group first, then
    one per recipient. The parser splits a plain part itself; a base64-encoded one (some
    servers send it so) it splits into nonsense, so that one is decoded and split here."""
    payload = part.get_payload()
    blocks = [b for b in payload if isinstance(b, Message)] if isinstance(payload, list) else []
    if str(part.get("Content-Transfer-Encoding", "")).strip().lower() != "base64":
        return blocks
    encoded = "".join(b.as_string() for b in blocks) if blocks else str(payload)
    try:
        text = base64.b64decode(encoded).decode("utf-8", errors="replace")
    except ValueError:
        return []
    groups = [g for g in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")) if g.strip()]
    return [HeaderParser().parsestr(group.strip() + "\n") for group in groups]


def read_report(message: Message) -> Report | None:
    """The delivery report in `message`, or None when it holds none. With several
    recipients (never for Klynge's one-recipient messages) a failure is preferred."""
    if message.get_content_type() != "multipart/report":
        return None
    reports: list[Report] = []
    for part in message.walk():
        if part.get_content_type() not in _REPORT_TYPES:
            continue
        for block in _status_blocks(part)[1:]:
            action = _one_line(block.get("Action")).lower()
            if not action:
                continue
            status_match = re.search(r"\b[245]\.\d{1,3}\.\d{1,3}\b", _one_line(block.get("Status")))
            reports.append(
                Report(
                    action=action.split()[0],
                    status=status_match.group(0) if status_match else "",
                    recipient=parseaddr(
                        _typed_value(
                            block.get("Final-Recipient") or block.get("Original-Recipient")
                        )
                    )[1].lower(),
                    diagnostic=_typed_value(block.get("Diagnostic-Code"))[:400],
                )
            )
    if not reports:
        return None
    return next((r for r in reports if r.permanent), reports[0])


def find_target(message: Message) -> tuple[str, int] | None:
    """The `(kind, pk)` whose return path the report was sent to, read from the
    headers the receiving server adds (Delivered-To, X-Original-To, ...) or, failing
    those, the report's To. Only a return path with a valid MAC counts."""
    for name in _ENVELOPE_HEADERS:
        values = [str(v) for v in message.get_all(name) or []]
        for _name, address in getaddresses(values):
            target = parse_return_path(address)
            if target is not None:
                return target
    return None


# --- Handlers by kind ---------------------------------------------------------------------

Handler = Callable[[int, Report], bool]
_handlers: dict[str, Handler] = {}
_discovered = False


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that marks row `pk` of `kind` refused for good (see the
    module's docstring for its contract)."""

    def register(function: Handler) -> Handler:
        _handlers[kind] = function
        return function

    return register


def handler_for(kind: str) -> Handler | None:
    global _discovered
    if not _discovered:
        autodiscover_modules("bounces")
        _discovered = True
    return _handlers.get(kind)


# --- Processing ---------------------------------------------------------------------------


def _header(message: Message, name: str, limit: int) -> str:
    try:
        return _one_line(str(make_header(decode_header(message.get(name) or ""))))[:limit]
    except Exception:  # a header that cannot be decoded: not worth losing the report for
        return _one_line(message.get(name))[:limit]


def process_message(raw: bytes) -> str:
    """Record one message from the bounce mailbox and act on it; returns its outcome
    (a `Bounce.Outcome` value). Idempotent: a message already recorded returns the
    outcome it had and changes nothing."""
    from klynge.core.models import Bounce

    digest = hashlib.sha256(raw).hexdigest()
    seen = Bounce.objects.filter(digest=digest).values_list("outcome", flat=True).first()
    if seen is not None:
        return seen
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    report = read_report(message)
    target = find_target(message)
    kind, pk = target if target is not None else ("", None)
    changed = False
    if report is None:
        outcome = Bounce.Outcome.UNRECOGNISED
    elif target is None or handler_for(kind) is None:
        outcome = Bounce.Outcome.UNMATCHED
    elif report.permanent:
        outcome = Bounce.Outcome.REFUSED
    elif report.temporary:
        outcome = Bounce.Outcome.TEMPORARY
    else:
        outcome = Bounce.Outcome.OTHER
    try:
        with transaction.atomic():
            if outcome == Bounce.Outcome.REFUSED:
                handler = handler_for(kind)
                assert handler is not None and pk is not None and report is not None
                changed = handler(pk, report)
            Bounce.objects.create(
                digest=digest,
                outcome=outcome,
                kind=kind,
                object_id=pk,
                changed=changed,
                action=report.action[:20] if report else "",
                status=report.status if report else "",
                recipient=report.recipient[:254] if report else "",
                diagnostic=report.diagnostic[:500] if report else "",
                message_id=_header(message, "Message-ID", 300),
                subject=_header(message, "Subject", 300),
            )
    except IntegrityError:  # another reader recorded the same message meanwhile
        return Bounce.objects.get(digest=digest).outcome
    if outcome == Bounce.Outcome.REFUSED:
        logger.info("bounce: %s %s refused (%s)", kind, pk, report.summary() if report else "")
    return outcome


def folder_for(outcome: str) -> str:
    """Where a read message goes: reports acted on or recorded to `Processed`, the
    rest (not a report, or about nothing we sent) to `Kept` for a person."""
    from klynge.core.models import Bounce

    kept = {Bounce.Outcome.UNMATCHED, Bounce.Outcome.UNRECOGNISED}
    return KEPT_FOLDER if outcome in kept else PROCESSED_FOLDER


def _process_safely(raw: bytes, where: str) -> str | None:
    try:
        return process_message(raw)
    except Exception:  # never stop the run for one message; it stays for the next run
        logger.exception("bounce: could not process %s", where)
        return None


def maildir_process(path: str) -> Counter[str]:
    """Read every message in the Maildir at `path` (new and cur, not its folders),
    record it, and move it to the `.Processed` or `.Kept` folder (Maildir++, as Dovecot
    and Courier name folders). Returns the count per outcome (`error` for a message left
    in place because processing failed)."""
    box = mailbox.Maildir(path, factory=None, create=False)
    counts: Counter[str] = Counter()
    folders: dict[str, mailbox.Maildir] = {}
    for key in list(box.iterkeys()):
        try:
            raw = box.get_bytes(key)
        except KeyError:  # taken by another reader meanwhile
            continue
        outcome = _process_safely(raw, f"{path}/{key}")
        if outcome is None:
            counts["error"] += 1
            continue
        counts[outcome] += 1
        name = folder_for(outcome)
        if name not in folders:
            folders[name] = (
                box.get_folder(name) if name in box.list_folders() else box.add_folder(name)
            )
        kept = box.get_message(key)
        kept.set_subdir("cur")
        kept.add_flag("S")
        folders[name].add(kept)
        box.discard(key)
    return counts


def imap_process(
    *,
    host: str,
    port: int,
    user: str,
    password: str,
    folder: str = "INBOX",
    security: str = "ssl",
) -> Counter[str]:
    """Read every message in `folder` of an IMAP mailbox, record it, and move it to
    the `Processed` or `Kept` folder (created when missing; MOVE where the server has
    it, else COPY and expunge). `security` is `ssl` (port 993), `starttls` or `none`
    (only for a server on the same machine). Returns the count per outcome."""
    counts: Counter[str] = Counter()
    context = ssl.create_default_context()
    imap: imaplib.IMAP4
    if security == "ssl":
        imap = imaplib.IMAP4_SSL(host, port, ssl_context=context, timeout=60)
    else:
        imap = imaplib.IMAP4(host, port, timeout=60)
        if security == "starttls":
            imap.starttls(ssl_context=context)
        elif security != "none":
            raise ValueError(f"KLYNGE_BOUNCE_IMAP_SECURITY is ssl, starttls or none: {security!r}")
    try:
        imap.login(user, password)
        _ok(imap.select(_quoted(folder)), f"select {folder}")
        existing = _folders(imap)
        for name in (PROCESSED_FOLDER, KEPT_FOLDER):
            if name not in existing:
                imap.create(_quoted(name))
        can_move = "MOVE" in _capabilities(imap)
        moved_any = False
        _typ, data = imap.uid("SEARCH", "ALL")
        for uid in (data[0] or b"").decode().split():
            _typ, fetched = imap.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((item[1] for item in fetched if isinstance(item, tuple)), None)
            if raw is None:  # expunged by another reader meanwhile
                continue
            outcome = _process_safely(raw, f"IMAP {folder} UID {uid}")
            if outcome is None:
                counts["error"] += 1
                continue
            counts[outcome] += 1
            target = _quoted(folder_for(outcome))
            if can_move:
                _ok(imap.uid("MOVE", uid, target), "move")
            else:
                _ok(imap.uid("COPY", uid, target), "copy")
                imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
                moved_any = True
        if moved_any:
            imap.expunge()
        imap.close()
    finally:
        imap.logout()
    return counts


def _capabilities(imap: imaplib.IMAP4) -> set[str]:
    """The capabilities after login: servers announce fewer before it (Dovecot's MOVE),
    and imaplib keeps the list it read on connecting."""
    typ, data = imap.capability()
    if typ != "OK":
        return set(imap.capabilities)
    words = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace")
    return set(words.upper().split())


def _ok(response: tuple[str, Any], what: str) -> None:
    typ, data = response
    if typ != "OK":
        raise imaplib.IMAP4.error(f"IMAP {what}: {typ} {data!r}")


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _folders(imap: imaplib.IMAP4) -> set[str]:
    _typ, lines = imap.list()
    names = set()
    for line in lines or []:
        if isinstance(line, bytes):
            match = re.search(rb'(?:"((?:[^"\\]|\\.)*)"|(\S+))\s*$', line)
            if match:
                names.add((match.group(1) or match.group(2)).decode(errors="replace"))
    return names


def configured_mailboxes() -> Iterable[tuple[str, Callable[[], Counter[str]]]]:
    """The mailboxes the settings name, as (label, reader)."""
    if settings.KLYNGE_BOUNCE_MAILDIR:
        path = str(settings.KLYNGE_BOUNCE_MAILDIR)
        yield f"Maildir {path}", lambda: maildir_process(path)
    if settings.KLYNGE_BOUNCE_IMAP_HOST:
        options: dict[str, Any] = {
            "host": settings.KLYNGE_BOUNCE_IMAP_HOST,
            "port": settings.KLYNGE_BOUNCE_IMAP_PORT,
            "user": settings.KLYNGE_BOUNCE_IMAP_USER,
            "password": settings.KLYNGE_BOUNCE_IMAP_PASSWORD,
            "folder": settings.KLYNGE_BOUNCE_IMAP_FOLDER,
            "security": settings.KLYNGE_BOUNCE_IMAP_SECURITY,
        }
        label = f"IMAP {options['user']}@{options['host']}:{options['port']}/{options['folder']}"
        yield label, lambda: imap_process(**options)
