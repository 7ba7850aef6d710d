"""A bounced invitation (issue 11): when the recipient's mail server refuses the address
for good (5xx), the invitation is marked refused — not retried four times — and the
people page asks the coordinator to correct the address; a temporary refusal (4xx) is
retried as before."""

from __future__ import annotations

import datetime as dt
import smtplib
import socket

import pytest
from aiosmtpd.controller import Controller
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from klynge.accounts import selectors, services
from klynge.accounts.models import Invitation
from klynge.core.mail import permanent_failure
from tests.accounts.test_invitations import _newcomer
from tests.factories import UserFactory, build_cluster

pytestmark = pytest.mark.django_db


class Refusing:
    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return self.reply


@pytest.fixture
def refusing_server(settings):
    def start(reply: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        controller = Controller(Refusing(reply), hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5

    started: list[Controller] = []
    yield start
    for controller in started:
        controller.stop()


def _person(setup, invitation):
    people = selectors.cluster_people(
        cluster=setup.cluster, on=dt.date(2024, 6, 1), now=timezone.now()
    )
    return next(p for p in people if p.invitation == invitation)


def test_a_refused_address_is_a_bounce_and_is_not_retried(
    refusing_server, django_capture_on_commit_callbacks, client
):
    refusing_server("550 5.1.1 <ny.laege@example.test>: no such user")
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = Invitation.objects.get(doctor=_newcomer(setup))
    before = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitation_send(invitation.pk) == "bounced"
    invitation.refresh_from_db()
    assert invitation.attempts == 1 and "no such user" in invitation.last_error
    assert DBTaskResult.objects.count() == before  # no retry of a refused address
    person = _person(setup, invitation)
    assert person.status == "bounced" and str(person.status_label) == "E-mail address refused"

    # The people page says so and offers the address to correct, not "send again".
    coordinator = setup.coordinator
    coordinator.user = UserFactory(email="koordinator@example.test")
    coordinator.save(update_fields=["user"])
    client.force_login(coordinator.user)
    page = client.get(reverse("accounts:people", args=[setup.cluster.slug])).content.decode()
    assert "E-mailadressen blev afvist" in page  # the site is Danish first
    assert "Modtagerens mailserver afviste adressen. Ret den" in page
    assert 'value="ny.laege@example.test"' in page

    # The coordinator corrects the address: a new invitation, the old one superseded.
    fixed = services.doctor_invite_with_email(
        actor=coordinator.user,
        doctor=invitation.doctor,
        cluster=setup.cluster,
        email="nina@example.test",
    )
    invitation.refresh_from_db()
    assert invitation.superseded is not None and fixed.mail_status == Invitation.Mail.QUEUED
    assert fixed.email == "nina@example.test"


def test_a_temporary_refusal_is_retried(refusing_server, django_capture_on_commit_callbacks):
    refusing_server("451 4.7.1 greylisted, try again later")
    setup = build_cluster(clinics=1, doctors_per_clinic=1)
    invitation = Invitation.objects.get(doctor=_newcomer(setup))
    before = DBTaskResult.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitation_send(invitation.pk) == "failed"
    assert DBTaskResult.objects.count() == before + 1  # the retry
    assert _person(setup, invitation).status == "failed"


@pytest.mark.parametrize(
    ("error", "permanent"),
    [
        (smtplib.SMTPRecipientsRefused({"a@b.dk": (550, b"no such user")}), True),
        (smtplib.SMTPRecipientsRefused({"a@b.dk": (450, b"mailbox busy")}), False),
        (smtplib.SMTPDataError(554, b"rejected"), True),
        (smtplib.SMTPDataError(451, b"later"), False),
        (ConnectionRefusedError(), False),
        (TimeoutError(), False),
    ],
)
def test_what_counts_as_a_bounce(error, permanent):
    assert permanent_failure(error) is permanent
