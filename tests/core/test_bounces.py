"""Bounces that come back later as delivery reports (issue 11): every e-mail with an
identity has its own signed envelope sender; `process_bounces` reads a Maildir of real
reports (Postfix, Exchange Online, a delayed one, a forged one, an out-of-office reply,
garbage), marks what was refused for good exactly as a refusal at SMTP time does, records
the rest, keeps what it cannot match, and changes nothing when it reads the same again."""

from __future__ import annotations

import datetime as dt
import mailbox
import string
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail as outbox
from django.core.management import call_command
from django.core.management.base import CommandError
from django_tasks_db.models import DBTaskResult

from klynge.accounts import services
from klynge.accounts.models import Invitation
from klynge.core import bounces
from klynge.core.models import AuditEntry, Bounce
from klynge.meetings import mail as meeting_mail
from klynge.meetings.models import Dispatch
from tests.factories import DoctorFactory, build_cluster

pytestmark = pytest.mark.django_db

REPORTS = Path(__file__).parent / "bounce_reports"


def report(name: str, *, return_path: str, recipient: str) -> bytes:
    """One of the stored reports, sent back to `return_path` about `recipient`."""
    text = (REPORTS / name).read_text(encoding="utf-8")
    return string.Template(text).substitute(return_path=return_path, recipient=recipient).encode()


def sent_invitation(setup, email: str) -> Invitation:
    """A doctor of the cluster invited and the invitation sent (locmem backend)."""
    from klynge.registry import services as registry

    doctor = DoctorFactory(clinic=setup.clinics[0], email=email, name=email.split("@")[0])
    registry.participation_start(
        actor=None, cluster=setup.cluster, doctor=doctor, start=dt.date(2024, 1, 1)
    )
    invitation = Invitation.objects.get(doctor=doctor)
    assert services.invitation_send(invitation.pk) == Invitation.Mail.SENT
    return invitation


def envelope_of(message) -> str:
    return message.from_email


@pytest.fixture
def maildir(tmp_path):
    path = tmp_path / "bounces"
    mailbox.Maildir(path, create=True)
    return path


def deliver(path: Path, raw: bytes) -> None:
    """Put a message in the Maildir as a mail server does (new/)."""
    mailbox.Maildir(path, create=False).add(raw)


def run(path: Path) -> str:
    out = StringIO()
    call_command("process_bounces", maildir=str(path), stdout=out)
    return out.getvalue()


def test_the_return_path_names_the_row_and_cannot_be_forged(settings):
    settings.KLYNGE_BOUNCE_DOMAIN = ""
    address = bounces.return_path(kind="invitation", pk=42, from_email="Klynge <noreply@k.dk>")
    local, domain = address.split("@")
    assert domain == "k.dk" and local.startswith("bounce+invitation-42-") and len(local) <= 64
    assert bounces.parse_return_path(address) == ("invitation", 42)
    assert bounces.parse_return_path(f"<{address.upper()}>") == ("invitation", 42)  # case folded
    assert bounces.parse_return_path(address.replace("-42-", "-43-")) is None
    assert bounces.parse_return_path(address.replace("invitation", "dispatch")) is None
    assert bounces.parse_return_path("bounce@k.dk") is None
    settings.KLYNGE_BOUNCE_DOMAIN = "bounces.k.dk"
    assert bounces.return_path(kind="dispatch", pk=1, from_email="x@k.dk").endswith("@bounces.k.dk")
    # Another secret key, another MAC: a report cannot be made for this installation;
    # after a key rotation the old key, kept as a fallback, still reads its mail's reports.
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another-installation-" + "x" * 40
    assert bounces.parse_return_path(address) is None
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert bounces.parse_return_path(address) == ("invitation", 42)


def test_invitations_dispatches_and_notices_carry_their_return_path(settings):
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = sent_invitation(setup, "a@koege.test")
    dispatch = Dispatch.objects.create(
        cluster=setup.cluster, kind=Dispatch.Kind.ANNOUNCEMENT, recipient="b@koege.test"
    )
    assert meeting_mail.send(dispatch.pk) == Dispatch.Status.SENT
    first, second = outbox.outbox
    assert bounces.parse_return_path(envelope_of(first)) == ("invitation", invitation.pk)
    assert bounces.parse_return_path(envelope_of(second)) == ("dispatch", dispatch.pk)
    for message in (first, second):  # the visible sender is the site's, as before
        assert message.message()["From"] == settings.DEFAULT_FROM_EMAIL
        assert "Return-Path" not in message.message()

    settings.KLYNGE_BOUNCE_VERP = False  # a relay that takes only its own sender
    outbox.outbox.clear()
    sent_invitation(setup, "c@koege.test")
    assert outbox.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL


def test_a_mailbox_of_reports(maildir):
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    refused = sent_invitation(setup, "ny.laege@koege.test")
    slow = sent_invitation(setup, "langsom@koege.test")
    dispatch = Dispatch.objects.create(
        cluster=setup.cluster, kind=Dispatch.Kind.ANNOUNCEMENT, recipient="a.hansen@regionh.test"
    )
    meeting_mail.send(dispatch.pk)
    envelope = {m.to[0]: envelope_of(m) for m in outbox.outbox}
    local, domain = envelope["langsom@koege.test"].split("@")
    forged = f"{local[:-16]}{'a' * 16}@{domain}"  # the right row, a made-up MAC

    stored = {
        "postfix": report(
            "postfix_user_unknown.eml",
            return_path=envelope["ny.laege@koege.test"],
            recipient="ny.laege@koege.test",
        ),
        "exchange": report(
            "exchange_recipient_not_found.eml",
            return_path=envelope["a.hansen@regionh.test"],
            recipient="a.hansen@regionh.test",
        ),
        "delayed": report(
            "postfix_delayed.eml",
            return_path=envelope["langsom@koege.test"],
            recipient="langsom@koege.test",
        ),
        "forged": report(
            "postfix_user_unknown.eml", return_path=forged, recipient="langsom@koege.test"
        ),
        "holiday": report(
            "out_of_office.eml",
            return_path=envelope["langsom@koege.test"],
            recipient="langsom@koege.test",
        ),
        "garbage": b"\x00\xff not a message at all \r\n\r\n\x89PNG",
    }
    for raw in stored.values():
        deliver(maildir, raw)
    tasks_before = DBTaskResult.objects.count()

    out = run(maildir)
    assert "6 read; refused 2, temporary 1, other 0, unmatched 1, unrecognised 2, error 0" in out

    # Refused for good: the invitation as at SMTP time, the dispatch failed, neither retried.
    refused.refresh_from_db()
    assert refused.mail_status == Invitation.Mail.BOUNCED
    assert "5.1.1" in refused.last_error and "User unknown" in refused.last_error
    assert AuditEntry.objects.filter(
        action="accounts.invitation.bounced", object_id=str(refused.pk)
    ).exists()
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.FAILED and "5.1.10" in dispatch.last_error
    assert DBTaskResult.objects.count() == tasks_before
    # Delayed, forged and an auto-reply change nothing.
    slow.refresh_from_db()
    assert (slow.mail_status, slow.last_error) == (Invitation.Mail.SENT, "")
    outcomes = dict(Bounce.objects.values_list("message_id", "outcome"))
    assert outcomes["<20261201121405.9D3E41C0A77@mail.klynge.example>"] == "temporary"
    assert outcomes["<autoreply-20261201-0915@koege.test>"] == "unrecognised"
    (delayed,) = Bounce.objects.filter(outcome="temporary")
    assert (delayed.kind, delayed.object_id, delayed.status) == ("invitation", slow.pk, "4.4.1")
    (forgery,) = Bounce.objects.filter(outcome="unmatched")
    assert forgery.kind == "" and forgery.object_id is None and forgery.status == "5.1.1"

    # Everything left the inbox: reports acted on to Processed, the rest Kept for a person.
    box = mailbox.Maildir(maildir, create=False)
    assert len(box) == 0
    assert len(box.get_folder("Processed")) == 3 and len(box.get_folder("Kept")) == 3
    assert "<autoreply-20261201-0915@koege.test>" in {
        m["Message-ID"] for m in box.get_folder("Kept")
    }
    assert all("S" in m.get_flags() for m in box.get_folder("Processed"))

    # The same mailbox again, and the same reports delivered a second time: no change.
    snapshot = (
        list(Invitation.objects.values_list("pk", "mail_status", "last_error")),
        list(Dispatch.objects.values_list("pk", "status", "last_error")),
        AuditEntry.objects.count(),
        Bounce.objects.count(),
    )
    assert "0 read" in run(maildir)
    for raw in stored.values():
        deliver(maildir, raw)
    assert "6 read; refused 2, temporary 1, other 0, unmatched 1, unrecognised 2" in run(maildir)
    assert snapshot == (
        list(Invitation.objects.values_list("pk", "mail_status", "last_error")),
        list(Dispatch.objects.values_list("pk", "status", "last_error")),
        AuditEntry.objects.count(),
        Bounce.objects.count(),
    )


def test_a_refusal_of_an_accepted_or_replaced_invitation_changes_nothing(maildir):
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = sent_invitation(setup, "ny.laege@koege.test")
    return_path = envelope_of(outbox.outbox[0])
    newer = services.invitation_resend(actor=None, invitation=invitation)
    deliver(
        maildir,
        report("postfix_user_unknown.eml", return_path=return_path, recipient=invitation.email),
    )
    assert "refused 1" in run(maildir)
    invitation.refresh_from_db()
    newer.refresh_from_db()
    assert invitation.mail_status == Invitation.Mail.SENT  # the old one: superseded
    assert newer.mail_status == Invitation.Mail.QUEUED
    assert Bounce.objects.get().changed is False


def test_a_message_that_fails_stays_for_the_next_run(maildir, monkeypatch):
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = sent_invitation(setup, "ny.laege@koege.test")
    deliver(
        maildir,
        report(
            "postfix_user_unknown.eml",
            return_path=envelope_of(outbox.outbox[0]),
            recipient=invitation.email,
        ),
    )

    def broken(*, invitation_id, reason):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "invitation_bounce", broken)
    assert "1 read; refused 0, temporary 0, other 0, unmatched 0, unrecognised 0, error 1" in run(
        maildir
    )
    assert len(mailbox.Maildir(maildir, create=False)) == 1 and not Bounce.objects.exists()
    monkeypatch.undo()
    assert "refused 1" in run(maildir)
    invitation.refresh_from_db()
    assert invitation.mail_status == Invitation.Mail.BOUNCED


def test_without_a_mailbox_the_command_says_so(settings, tmp_path):
    settings.KLYNGE_BOUNCE_MAILDIR = ""
    settings.KLYNGE_BOUNCE_IMAP_HOST = ""
    with pytest.raises(CommandError, match="KLYNGE_BOUNCE_MAILDIR"):
        call_command("process_bounces")
    settings.KLYNGE_BOUNCE_MAILDIR = str(tmp_path / "missing")
    with pytest.raises(CommandError, match="NoSuchMailboxError"):
        call_command("process_bounces")


def test_a_base64_encoded_report_is_read():
    """Some servers send the delivery-status part base64-encoded; the parser alone would
    see no fields in it."""
    import base64
    import email

    fields = (
        "Reporting-MTA: dns; mail.example\r\n\r\n"
        "Final-Recipient: rfc822; A.Hansen@Regionh.test\r\n"
        "Action: failed\r\nStatus: 5.2.1\r\n"
        "Diagnostic-Code: smtp; 550 5.2.1 mailbox disabled\r\n"
    )
    encoded = base64.encodebytes(fields.encode()).decode()
    raw = (
        "From: postmaster@mail.example\nTo: x@y.dk\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nNot delivered.\n"
        "--B\nContent-Type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n"
        f"{encoded}\n--B--\n"
    )
    found = bounces.read_report(email.message_from_string(raw))
    assert found == bounces.Report(
        action="failed",
        status="5.2.1",
        recipient="a.hansen@regionh.test",
        diagnostic="550 5.2.1 mailbox disabled",
    )
    assert found.permanent and not found.temporary
