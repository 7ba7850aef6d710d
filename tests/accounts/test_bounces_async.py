"""A bounced invitation that the mail server took first (issue 11): the invitation goes
through a real SMTP server on loopback with its own envelope sender; the recipient's
server refuses it later, and its delivery report, addressed to that envelope sender,
lands in the bounce Maildir; `process_bounces` reads it and the people page asks the
coordinator to correct the address, as for a refusal at SMTP time."""

from __future__ import annotations

import email
import email.policy
import mailbox
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.urls import reverse

from klynge.accounts import services
from klynge.accounts.models import Invitation
from klynge.core import bounces
from tests.accounts.test_invitations import _newcomer
from tests.core.test_bounces import report
from tests.factories import UserFactory, build_cluster

pytestmark = pytest.mark.django_db

ADDRESS = "ny.laege@koege.test"


class Recorder:
    """An SMTP server that takes everything and remembers the envelope."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 2.0.0 Ok: queued"


@pytest.fixture
def smtp(settings):
    recorder = Recorder()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    yield recorder
    controller.stop()


def test_a_later_refusal_shows_on_the_people_page(smtp, settings, tmp_path, client):
    settings.DEFAULT_FROM_EMAIL = "Klynge <noreply@klynge.example>"
    settings.KLYNGE_BOUNCE_DOMAIN = "bounces.klynge.example"
    maildir = tmp_path / "bounces"
    mailbox.Maildir(maildir, create=True)
    settings.KLYNGE_BOUNCE_MAILDIR = str(maildir)

    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = Invitation.objects.get(doctor=_newcomer(setup, ADDRESS))
    assert services.invitation_send(invitation.pk) == Invitation.Mail.SENT

    ((mail_from, rcpt_tos, message),) = smtp.received
    assert rcpt_tos == [ADDRESS]
    assert message["From"] == "Klynge <noreply@klynge.example>"  # as people saw it before
    assert mail_from.startswith(f"bounce+invitation-{invitation.pk}-")
    assert mail_from.endswith("@bounces.klynge.example")

    # The recipient's server refuses it after the fact: a report to the envelope sender.
    dsn = report("postfix_user_unknown.eml", return_path=mail_from, recipient=ADDRESS)
    mailbox.Maildir(maildir, create=False).add(dsn)
    call_command("process_bounces", verbosity=0)

    invitation.refresh_from_db()
    assert invitation.mail_status == Invitation.Mail.BOUNCED
    assert "5.1.1" in invitation.last_error
    coordinator = setup.coordinator
    coordinator.user = UserFactory(email="koordinator@example.test")
    coordinator.save(update_fields=["user"])
    client.force_login(coordinator.user)
    page = client.get(reverse("accounts:people", args=[setup.cluster.slug])).content.decode()
    assert 'class="status-bounced"' in page
    assert "E-mailadressen blev afvist" in page  # the site is Danish first
    assert f'value="{ADDRESS}"' in page  # the address, to correct


def test_a_refused_invitation_is_not_sent_again_by_a_pending_retry(smtp):
    """A report can arrive while a retry of an earlier failure is still queued: the
    retry must not send to the refused address again."""
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = Invitation.objects.get(doctor=_newcomer(setup, ADDRESS))
    Invitation.objects.filter(pk=invitation.pk).update(
        mail_status=Invitation.Mail.FAILED, attempts=1, last_error="timed out"
    )
    assert services.invitation_bounce(invitation_id=invitation.pk, reason="5.1.1 no such user")
    assert not services.invitation_bounce(invitation_id=invitation.pk, reason="again")
    assert services.invitation_send(invitation.pk) == Invitation.Mail.BOUNCED
    assert smtp.received == []
    invitation.refresh_from_db()
    assert invitation.last_error == "5.1.1 no such user"


def test_the_handler_is_found_by_kind():
    assert bounces.handler_for("invitation") is not None
    assert bounces.handler_for("dispatch") is not None
    assert bounces.handler_for("dataorders.ordernotice") is None
