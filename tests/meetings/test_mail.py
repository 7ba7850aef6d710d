"""Invitations through the task worker and a real SMTP server on loopback; the .ics."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import icalendar
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from klynge.core.errors import DomainError
from klynge.meetings import services
from klynge.meetings.models import Dispatch
from tests.world import build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")


def _evening(days: int) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(17, 0), tzinfo=CPH)


def _ics(message) -> icalendar.Calendar:
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return icalendar.Calendar.from_ical(part.get_payload(decode=True))
    raise AssertionError("no calendar attachment")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_invitation_goes_through_a_real_smtp_server_with_a_calendar_file(smtp):
    world = build_world()
    coordinator = world.users["coordinator_a"]
    # Only the doctors with a login have an address in the test world.
    meeting = services.meeting_create(
        actor=coordinator,
        cluster=world.cluster_a,
        title="Antibiotika i vinterhalvåret",
        template="ordinary",
        starts=_evening(30),
        ends=_evening(30) + dt.timedelta(hours=2, minutes=30),
        place="Køge Lægehus, Algade 1",
    )
    sent = services.meeting_invite(actor=coordinator, meeting=meeting)
    assert len(sent) == 3

    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert sorted(m["To"] for m in smtp.messages) == sorted(d.recipient for d in sent)
    message = smtp.messages[0]
    subject = str(message["Subject"]).strip()
    assert subject.startswith("Indkaldelse: Antibiotika i vinterhalvåret"), subject
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Køgeklyngen" in body and "kl. 17:00" in body
    assert "Opfølgning på aktioner fra tidligere møder" in body  # the agenda, in Danish
    page = reverse("meetings:detail", args=[world.cluster_a.slug, meeting.pk])
    assert f"Kommer du? Svar på mødets side: {django_settings.KLYNGE_SITE_URL}{page}#rsvp" in body
    event = _ics(message).walk("VEVENT")[0]
    start = event.decoded("dtstart")
    assert start == _evening(30) and start.astimezone(CPH).hour == 17
    assert str(event["dtstart"].params.get("TZID")) == "Europe/Copenhagen"
    assert str(event["uid"]) == f"{meeting.uid}@klynge"
    assert int(event["sequence"]) == 0
    assert Dispatch.objects.filter(status="sent").count() == 3

    # A change of time is an update of the same event; a cancellation cancels it.
    services.meeting_update(actor=coordinator, meeting=meeting, starts=_evening(31), ends=None)
    services.meeting_cancel(actor=coordinator, meeting=meeting)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    calendars = [(_ics(m), m) for m in smtp.messages[3:]]
    assert len(calendars) == 6
    uids = {str(c.walk("VEVENT")[0]["uid"]) for c, _m in calendars}
    assert uids == {f"{meeting.uid}@klynge"}
    methods = sorted(str(c["method"]) for c, _m in calendars)
    assert methods == ["CANCEL"] * 3 + ["REQUEST"] * 3
    sequences = sorted(int(c.walk("VEVENT")[0]["sequence"]) for c, _m in calendars)
    assert sequences == [1, 1, 1, 2, 2, 2]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failed_send_is_kept_visible_and_retried(settings):
    world = build_world()
    coordinator = world.users["coordinator_a"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = 9  # nothing listens: connection refused
    settings.EMAIL_TIMEOUT = 2
    meeting = services.meeting_create(
        actor=coordinator, cluster=world.cluster_a, title="Møde", starts=_evening(20)
    )
    services.meeting_invite(actor=coordinator, meeting=meeting)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    failed = list(Dispatch.objects.filter(meeting=meeting))
    assert {d.status for d in failed} == {"failed"}
    assert all(d.attempts == 1 and "Connection" in d.last_error for d in failed)
    from django_tasks_db.models import DBTaskResult

    # Each failure scheduled its own retry, a minute later.
    retries = DBTaskResult.objects.filter(status="READY", run_after__isnull=False)
    assert retries.count() >= 3

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    services.dispatch_retry(actor=coordinator, dispatch=failed[0])
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    failed[0].refresh_from_db()
    assert failed[0].status == "sent" and failed[0].attempts == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_poll_with_four_dates_is_one_email_per_member_and_the_reminder_only_to_the_silent(
    smtp,
):
    """Four dates offered one at a time, then sent: each invited doctor with an address
    receives exactly one e-mail, listing all four. The reminder reaches only those who
    have not answered, and only once that day."""
    from klynge.registry.models import Doctor

    world = build_world()
    coordinator = world.users["coordinator_a"]
    meeting = services.meeting_create(
        actor=coordinator, cluster=world.cluster_a, title="Hjertesvigt"
    )
    for days in (20, 22, 27, 29):
        services.poll_open(
            actor=coordinator,
            meeting=meeting,
            slots=[(_evening(days), _evening(days) + dt.timedelta(hours=2))],
            notify=False,
        )
    services.poll_send(actor=coordinator, meeting=meeting)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    recipients = sorted(str(m["To"]) for m in smtp.messages)
    assert recipients == ["kasserer@a.test", "koordinator@a.test", "laege@a.test"]
    for message in smtp.messages:
        assert str(message["Subject"]).strip().startswith("Hvornår passer det dig?")
        body = message.get_body(preferencelist=("plain",)).get_content()
        assert body.count("kl. 17:00") == 4, body
        assert not any(p.get_content_type() == "text/calendar" for p in message.walk())

    # The coordinator and the treasurer answer; the member does not.
    slot = meeting.slots.first()
    for address in ("koordinator@a.test", "kasserer@a.test"):
        doctor = Doctor.objects.get(user__email=address)
        services.poll_answer(doctor=doctor, meeting=meeting, answers={slot.pk: "yes"})
    smtp.messages.clear()
    services.poll_remind(actor=coordinator, meeting=meeting)
    with pytest.raises(DomainError):  # the same day again: nobody new to remind
        services.poll_remind(actor=coordinator, meeting=meeting)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    assert [str(m["To"]) for m in smtp.messages] == ["laege@a.test"]
    reminder = smtp.messages[0]
    assert str(reminder["Subject"]).strip().startswith("Påmindelse: svar på datoafstemningen")
    body = reminder.get_body(preferencelist=("plain",)).get_content()
    assert "Du har endnu ikke svaret på datoafstemningen" in body
    assert body.count("kl. 17:00") == 4
    assert f"/moeder/{meeting.pk}/" in body
