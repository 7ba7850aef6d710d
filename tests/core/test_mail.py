"""Every e-mail is multipart (plain text and accessible HTML) with a plain subject:
the shared builder (`klynge.core.mail`), each sender that uses it, and allauth's mail.

The MIME structure is read back with the standard library's parser from the bytes a
mail server would receive (`message.message().as_bytes()`)."""

from __future__ import annotations

import datetime as dt
import email
import email.message
import email.policy
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core import mail as django_mail
from django.urls import reverse
from django.utils import timezone, translation

from klynge.core import mail as core_mail

SRC = Path(__file__).resolve().parents[2] / "src" / "klynge"


# --- Reading a message back ----------------------------------------------------------


def parse(message) -> email.message.EmailMessage:
    """The message as a mail server receives it, parsed by the standard library."""
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def parts(parsed: email.message.EmailMessage) -> list[str]:
    return [part.get_content_type() for part in parsed.walk()]


def html_of(parsed: email.message.EmailMessage) -> str:
    return parsed.get_body(preferencelist=("html",)).get_content()


def text_of(parsed: email.message.EmailMessage) -> str:
    return parsed.get_body(preferencelist=("plain",)).get_content()


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.lang: str | None = None
        self.title = ""
        self.headings: list[str] = []
        self.links: list[tuple[str, str]] = []
        self._open: list[str] = []
        self._href: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append(tag)
        if tag == "html":
            self.lang = attributes.get("lang")
        if tag == "a":
            self._href, self._text = attributes.get("href") or "", ""
        self._open.append(tag)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, " ".join(self._text.split())))
            self._href = None
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data):
        if self._href is not None:
            self._text += data
        if self._open and self._open[-1] == "title":
            self.title += data
        elif self._open and re.fullmatch(r"h[1-6]", self._open[-1]):
            self.headings.append(" ".join(data.split()))
        elif len(self._open) >= 2 and re.fullmatch(r"h[1-6]", self._open[-2]):
            self.headings.append(" ".join(data.split()))  # a heading that is a link


def read_html(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


@pytest.fixture(autouse=True)
def danish():
    """Mail is written in the language of the request that sends it, Danish here; an
    earlier test in the same process may have left English active."""
    with translation.override("da"):
        yield


def assert_accessible_html(html: str, subject: str) -> _Page:
    """The HTML part a screen reader and any mail client can read: Danish, a title,
    real headings and links, no layout tables, nothing that needs an image."""
    page = read_html(html)
    assert html.lstrip().lower().startswith("<!doctype html>")
    assert page.lang == "da"
    assert page.title.strip() == subject
    assert page.headings and page.headings[0] == subject
    assert "h1" in page.tags
    assert "table" not in page.tags and "img" not in page.tags
    assert "&amp;amp;" not in html  # escaped once, not twice
    for href, text in page.links:
        assert href.startswith(("http://", "https://", "mailto:")), href
        assert text, f"a link without text: {href}"
    return page


def subject_of(parsed: email.message.EmailMessage) -> str:
    return str(parsed["Subject"])


def assert_multipart(message, subject: str) -> email.message.EmailMessage:
    """Plain text and HTML as alternatives; the subject arrives as written."""
    parsed = parse(message)
    types = parts(parsed)
    assert "multipart/alternative" in types
    assert types.count("text/plain") == 1 and types.count("text/html") == 1
    alternative = next(p for p in parsed.walk() if p.get_content_type() == "multipart/alternative")
    inner = [p.get_content_type() for p in alternative.iter_parts()]
    assert inner[:2] == ["text/plain", "text/html"]  # the richest last, as RFC 2046 says
    assert subject_of(parsed) == subject
    assert "\n" not in subject_of(parsed)
    assert_accessible_html(html_of(parsed), subject)
    return parsed


# --- The shared builder ----------------------------------------------------------------


@pytest.fixture
def mail_templates(settings):
    """A message of our own, from in-memory templates beside the project's."""
    templates = {
        "test/mail/note_subject.txt": "{% load i18n %}Nyt om {{ title }}\n  fra {{ who }}\n",
        "test/mail/note_body.txt": "Hej {{ who }}\n\n{{ title }} – se {{ url }}\n",
        "test/mail/note_body.html": (
            '{% extends "core/mail/base.html" %}{% block content %}'
            '<p>Hej {{ who }}</p><p><a href="{{ url }}">{{ title }}</a></p>{% endblock %}'
        ),
    }
    engine = dict(settings.TEMPLATES[0])
    options = dict(engine["OPTIONS"])
    engine["APP_DIRS"] = False
    options["loaders"] = [
        ("django.template.loaders.locmem.Loader", templates),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    engine["OPTIONS"] = options
    settings.TEMPLATES = [engine]
    return templates


def test_the_builder_makes_plain_text_and_accessible_html_with_a_plain_subject(mail_templates):
    context = {
        "title": "KOL & astma <i Østdanmark>",
        "who": "Søren Ærø",
        "url": "https://klynge.example.dk/moeder/1/?a=1&b=2",
    }
    message = core_mail.build("test/mail/note", context, to=["a@example.dk"])
    subject = "Nyt om KOL & astma <i Østdanmark> fra Søren Ærø"
    assert message.subject == subject  # one line, not escaped
    parsed = assert_multipart(message, subject)
    assert "KOL & astma <i Østdanmark> – se https://klynge.example.dk/moeder/1/?a=1&b=2" in (
        text_of(parsed)
    )
    html = html_of(parsed)
    assert "KOL &amp; astma &lt;i Østdanmark&gt;" in html
    page = read_html(html)
    assert ("https://klynge.example.dk/moeder/1/?a=1&b=2", "KOL & astma <i Østdanmark>") in (
        page.links
    )
    # The raw header is an RFC 2047 encoded word, never an HTML entity.
    raw = message.message().as_bytes()
    assert b"&amp;" not in raw.split(b"\n\n", 1)[0]


def test_a_calendar_alternative_declares_its_charset_and_method_once():
    message = core_mail.Message("Emne", "tekst", "from@example.dk", ["to@example.dk"])
    message.attach_alternative("<p>tekst</p>", "text/html")
    message.attach_alternative(
        "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar; charset=utf-8; method=REQUEST"
    )
    parsed = parse(message)
    (calendar,) = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    header = calendar["Content-Type"]
    assert header.lower().count("charset") == 1 and header.lower().count("method") == 1
    assert calendar.get_param("method") == "REQUEST"
    raw = message.message().as_bytes()
    assert b'Content-Type: text/calendar; charset="utf-8"; method=REQUEST\n' in raw
    assert calendar.get_content_charset() == "utf-8"


def test_plain_django_would_declare_the_charset_twice():
    """Why `core.mail.Message` exists: the mimetype Klynge used before, given to
    Django's own class, yields two charset parameters."""
    message = django_mail.EmailMultiAlternatives("Emne", "tekst", "f@example.dk", ["t@example.dk"])
    message.attach("invitation.ics", b"BEGIN:VCALENDAR\r\n", "text/calendar; charset=utf-8")
    raw = message.message().as_string()
    header = re.search(r"Content-Type: text/calendar[^\n]*", raw).group(0)
    assert header.lower().count("charset") == 2


def test_split_mimetype():
    assert core_mail.split_mimetype('text/Calendar; Charset="UTF-8"; method=CANCEL') == (
        "text/calendar",
        [("charset", "UTF-8"), ("method", "CANCEL")],
    )
    assert core_mail.split_mimetype("text/html") == ("text/html", [])


def test_html_from_text_keeps_paragraphs_and_makes_links():
    html = core_mail.html_from_text(
        "Din kode & mere",
        "Hej!\n\nDin kode er\nABC-123\n\nLog ind: https://klynge.example.dk/konto/?x=1&y=2\n",
    )
    page = assert_accessible_html(html, "Din kode & mere")
    assert html.count("<p>") >= 3 + 1  # three paragraphs and the footer
    assert "Din kode er<br>\nABC-123" in html
    assert (
        "https://klynge.example.dk/konto/?x=1&y=2",
        "https://klynge.example.dk/konto/?x=1&y=2",
    ) in (page.links)


# --- Every sender --------------------------------------------------------------------


SENDING = re.compile(
    r"\b(send_mail|send_mass_mail|mail_admins|mail_managers|EmailMessage|EmailMultiAlternatives)\s*\("
)


def test_nothing_sends_mail_around_the_shared_builder():
    """Mail is built in one place: a new sender that calls Django's mail functions
    directly would send a text-only message, perhaps with an escaped subject."""
    offenders = []
    for path in SRC.rglob("*.py"):
        if path == SRC / "core" / "mail.py" or "migrations" in path.parts:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SENDING.search(line):
                offenders.append(f"{path.relative_to(SRC)}:{number}: {line.strip()}")
    assert offenders == []


@pytest.mark.django_db
def test_the_login_invitation_is_multipart_with_a_plain_subject():
    from klynge.accounts import mail as accounts_mail
    from klynge.accounts.models import Invitation
    from klynge.registry import services as registry
    from tests.factories import DoctorFactory, build_cluster

    setup = build_cluster(name="Nord & Syd-klyngen", clinics=1, doctors_per_clinic=1)
    doctor = DoctorFactory(clinic=setup.clinics[0], email="ny@example.test", name="Åse Ørn")
    registry.participation_start(
        actor=None, cluster=setup.cluster, doctor=doctor, start=dt.date(2024, 1, 1)
    )
    invitation = Invitation.objects.get(doctor=doctor)
    message = accounts_mail.build_invitation(invitation)
    subject = "Dit login til Klynge (Nord & Syd-klyngen)"
    parsed = assert_multipart(message, subject)
    url = accounts_mail.invitation_url(invitation)
    assert url in text_of(parsed)
    assert (url, "Opret dit login") in read_html(html_of(parsed)).links
    assert "Kære Åse Ørn" in html_of(parsed)


@pytest.mark.django_db
def test_the_offer_of_a_seat_is_multipart(settings):
    from klynge.accounts.models import User
    from klynge.support import mail as support_mail
    from klynge.support import services as support

    course = support.course_create(actor=None, title="Facilitering & feedback")
    starts = timezone.now() + dt.timedelta(days=20)
    session = support.session_add(
        actor=None,
        course=course,
        starts=starts,
        ends=starts + dt.timedelta(hours=7),
        place="Kolding",
        seats=1,
    )
    first, second = (
        User.objects.create_user(f"d{n}@kursus.test", "pw", name=f"D {n}") for n in (1, 2)
    )
    support.seat_book(user=first, session=session)
    entry = support.waiting_join(user=second, session=session)
    support.seat_cancel(user=first, session=session)
    django_mail.outbox.clear()
    assert support_mail.send_offer(entry.pk) == "sent"
    (message,) = django_mail.outbox
    parsed = assert_multipart(message, "Der er en ledig plads til dig: Facilitering & feedback")
    course_list = f"{settings.KLYNGE_SITE_URL}{reverse('support:course.list')}"
    assert (course_list, "Tag pladsen") in read_html(html_of(parsed)).links
    assert course_list in text_of(parsed)


@pytest.mark.django_db
def test_the_news_digest_is_multipart_with_a_heading_per_item(settings):
    from klynge.accounts.models import User
    from klynge.support import mail as support_mail
    from klynge.support import services as support
    from klynge.support.models import DigestMail

    reader = User.objects.create_user("laeser@example.test", "pw", name="Læser")
    support.digest_subscribe(user=reader)
    secretariat = User.objects.create_user("sek@example.test", "pw", is_secretariat=True)
    later = timezone.now() + dt.timedelta(seconds=1)
    for title in ("Kurser & møder i foråret", "Ny vejledning"):
        support.news_publish(
            actor=secretariat,
            title=title,
            body="Læs mere på https://www.example.dk/x?a=1&b=2\nAnden linje.",
            audience="public",
            published=later,
        )
    (digest,) = support.digest_queue(now=later + dt.timedelta(seconds=1))
    django_mail.outbox.clear()
    assert support_mail.send_digest(digest.pk) == DigestMail.Status.SENT
    (message,) = django_mail.outbox
    parsed = assert_multipart(message, "Nyt fra klyngeprogrammet: 2 nye nyheder")
    page = read_html(html_of(parsed))
    assert page.headings[1:] == ["Kurser & møder i foråret", "Ny vejledning"] or page.headings[
        1:
    ] == ["Ny vejledning", "Kurser & møder i foråret"]
    assert ("https://www.example.dk/x?a=1&b=2", "https://www.example.dk/x?a=1&b=2") in page.links
    news = f"{settings.KLYNGE_SITE_URL}{reverse('support:news.list')}"
    assert any(href == news for href, _text in page.links)


@pytest.mark.django_db
def test_the_one_time_login_code_from_allauth_is_multipart(client):
    from tests.factories import UserFactory

    user = UserFactory(email="kode@example.test")
    client.post(reverse("account_request_login_code"), {"email": user.email})
    (message,) = django_mail.outbox
    parsed = parse(message)
    assert parts(parsed).count("text/html") == 1 and parts(parsed).count("text/plain") == 1
    assert_accessible_html(html_of(parsed), subject_of(parsed))
    code = re.search(r"^\s*([A-Z0-9-]{4,})\s*$", text_of(parsed), re.MULTILINE).group(1)
    assert code in html_of(parsed)
