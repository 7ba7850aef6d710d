"""Invitations that calendars and mail clients treat as invitations (issue 15): the
invitation, the update and the cancellation of one meeting, read back from the bytes a
mail server receives and parsed by two calendar libraries, `icalendar` and `vobject`.

What a client needs to offer "Accept / Decline" and to replace or remove the event:
METHOD REQUEST (CANCEL), an ORGANIZER with a real address (the coordinator), the
recipient as ATTENDEE asked to answer (RSVP), the same UID throughout, a SEQUENCE that
grows, DTSTAMP, and times in Copenhagen time with its VTIMEZONE."""

from __future__ import annotations

import datetime as dt
import email
import email.message
import email.policy
import zoneinfo
from dataclasses import dataclass

import icalendar
import pytest
import vobject
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from klynge.meetings import mail, services
from klynge.meetings.models import Dispatch, Meeting
from tests.core.test_mail import assert_accessible_html, html_of, parse, text_of
from tests.world import build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
TITLE = "KOL & astma i Østdanmark"
RECIPIENT = "laege@a.test"
COORDINATOR = "koordinator@a.test"


def _evening(days: int, hour: int = 17) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=CPH)


@dataclass
class Calendars:
    """One message's calendar part, read by both libraries."""

    raw: bytes
    ical: icalendar.Calendar
    vcal: vobject.base.Component

    @property
    def event(self) -> icalendar.Event:
        (event,) = self.ical.walk("VEVENT")
        return event


def calendar_part(parsed: email.message.EmailMessage) -> email.message.EmailMessage:
    (part,) = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    return part


def calendars(parsed: email.message.EmailMessage) -> Calendars:
    raw = calendar_part(parsed).get_payload(decode=True)
    return Calendars(
        raw=raw,
        ical=icalendar.Calendar.from_ical(raw),
        vcal=vobject.readOne(raw.decode("utf-8")),
    )


def check_mime(parsed: email.message.EmailMessage, method: str) -> None:
    """multipart/mixed: [multipart/alternative: text/plain, text/html, text/calendar],
    and the same request as an `invitation.ics` file; the calendar part's content type
    names its charset once and its method once."""
    assert parsed.get_content_type() == "multipart/mixed"
    alternative, attachment = parsed.iter_parts()
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    part = calendar_part(parsed)
    names = [name.lower() for name, _value in part.get_params()[1:]]
    assert sorted(names) == ["charset", "method"]
    assert part["Content-Type"].lower().count("charset") == 1
    assert part.get_param("method") == method
    assert part.get_content_charset() == "utf-8"
    assert attachment.get_filename() == "invitation.ics"
    assert attachment.get_content_type() == "application/ics"
    same = [p.get_payload(decode=True).replace(b"\r\n", b"\n") for p in (attachment, part)]
    assert same[0] == same[1]


def check_calendars(
    cal: Calendars, *, method: str, meeting: Meeting, sequence: int, name: str
) -> None:
    """What both libraries read: method, organiser, attendee, UID, sequence, times."""
    event = cal.event
    # icalendar
    assert str(cal.ical["method"]) == method
    organizer = event["organizer"]
    assert str(organizer).lower() == f"mailto:{COORDINATOR}"
    assert str(organizer.params["CN"]) == coordinator_name(meeting)
    attendees = event.get("attendee")
    attendees = attendees if isinstance(attendees, list) else [attendees]
    assert [str(a).lower() for a in attendees] == [f"mailto:{RECIPIENT}"]
    (attendee,) = attendees
    assert str(attendee.params["CN"]) == name
    assert attendee.params["RSVP"] == "TRUE"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert str(event["uid"]) == f"{meeting.uid}@klynge"
    assert int(event["sequence"]) == sequence
    assert event.decoded("dtstart") == meeting.starts
    assert event.decoded("dtend") == meeting.ends
    assert str(event["dtstart"].params["TZID"]) == "Europe/Copenhagen"
    assert [str(tz["tzid"]) for tz in cal.ical.walk("VTIMEZONE")] == ["Europe/Copenhagen"]
    stamp = event.decoded("dtstamp")
    assert stamp.utcoffset() == dt.timedelta(0)
    assert abs(stamp - timezone.now()) < dt.timedelta(minutes=5)
    assert str(event["status"]) == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    assert TITLE in str(event["summary"])

    # vobject, independently
    vevent = cal.vcal.vevent
    assert cal.vcal.method.value == method
    assert vevent.organizer.value.lower() == f"mailto:{COORDINATOR}"
    assert vevent.organizer.params["CN"] == [coordinator_name(meeting)]
    assert [a.value.lower() for a in vevent.attendee_list] == [f"mailto:{RECIPIENT}"]
    params = vevent.attendee.params
    assert params["RSVP"] == ["TRUE"] and params["PARTSTAT"] == ["NEEDS-ACTION"]
    assert params["ROLE"] == ["REQ-PARTICIPANT"] and params["CN"] == [name]
    assert vevent.uid.value == f"{meeting.uid}@klynge"
    assert int(vevent.sequence.value) == sequence
    assert vevent.dtstart.value == meeting.starts
    assert vevent.dtend.value == meeting.ends
    assert vevent.dtstart.value.utcoffset() == meeting.starts.astimezone(CPH).utcoffset()
    assert vevent.dtstamp.value.utcoffset() == dt.timedelta(0)
    assert vevent.status.value == ("CANCELLED" if method == "CANCEL" else "CONFIRMED")
    assert b".invalid" not in cal.raw


def coordinator_name(meeting: Meeting) -> str:
    from klynge.registry.models import Doctor

    return Doctor.objects.get(user__email=COORDINATOR).name


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def life(world):
    """One meeting invited, moved, and cancelled. Each message to the recipient is
    built when the worker would send it, right after the step, and kept as the bytes a
    mail server receives, beside the meeting as it was then."""
    coordinator = world.users["coordinator_a"]
    meeting = services.meeting_create(
        actor=coordinator,
        cluster=world.cluster_a,
        title=TITLE,
        template="ordinary",
        starts=_evening(30),
        ends=_evening(30) + dt.timedelta(hours=2, minutes=30),
        place="Køge Lægehus, Algade 1",
    )
    steps = {
        "invitation": lambda: services.meeting_invite(actor=coordinator, meeting=meeting),
        "update": lambda: services.meeting_update(
            actor=coordinator,
            meeting=meeting,
            starts=_evening(31, 16),
            ends=_evening(31, 16) + dt.timedelta(hours=2),
        ),
        "cancellation": lambda: services.meeting_cancel(actor=coordinator, meeting=meeting),
    }
    sent = {}
    for kind, step in steps.items():
        step()
        dispatch = Dispatch.objects.get(meeting=meeting, recipient=RECIPIENT, kind=kind)
        parsed = parse(mail.build_message(dispatch))
        sent[kind] = (parsed, dispatch, Meeting.objects.get(pk=meeting.pk))
    return sent


def test_invitation_update_and_cancellation_are_read_as_one_event_by_two_libraries(life):
    read = {}
    for kind, method, sequence in (
        ("invitation", "REQUEST", 0),
        ("update", "REQUEST", 1),
        ("cancellation", "CANCEL", 2),
    ):
        parsed, dispatch, meeting = life[kind]
        check_mime(parsed, method)
        cal = calendars(parsed)
        check_calendars(cal, method=method, meeting=meeting, sequence=sequence, name=dispatch.name)
        read[kind] = cal
    # One event for its whole life, each version newer than the last.
    assert len({str(c.event["uid"]) for c in read.values()}) == 1
    assert len({c.vcal.vevent.uid.value for c in read.values()}) == 1
    sequences = [int(read[k].vcal.vevent.sequence.value) for k in life]
    assert sequences == sorted(sequences) and len(set(sequences)) == 3
    # The update moved it: the calendars carry the new time.
    assert read["invitation"].event.decoded("dtstart") == _evening(30)
    assert read["update"].event.decoded("dtstart") == _evening(31, 16)
    assert read["cancellation"].vcal.vevent.dtstart.value == _evening(31, 16)


def test_the_invitation_has_a_plain_subject_and_an_accessible_html_part(life, settings):
    parsed, _dispatch, meeting = life["invitation"]
    subject = str(parsed["Subject"])
    assert subject.startswith(f"Indkaldelse: {TITLE} den ")
    assert "&amp;" not in subject and "\n" not in subject
    page = assert_accessible_html(html_of(parsed), subject)
    assert TITLE in " ".join(page.headings) and "Dagsorden" in page.headings
    page_path = reverse("meetings:detail", args=[meeting.cluster.slug, meeting.pk])
    detail = f"{settings.KLYNGE_SITE_URL}{page_path}"
    with translation.override("da"):
        answer = gettext("Answer on the meeting's page")
    assert (f"{detail}#rsvp", answer) in page.links
    html = html_of(parsed)
    assert "KOL &amp; astma i Østdanmark" in html and "Køge Lægehus, Algade 1" in html
    assert "Opfølgning på aktioner fra tidligere møder" in html  # the agenda
    assert f"Kommer du? Svar på mødets side: {detail}#rsvp" in text_of(parsed)


def test_the_cancellation_and_the_update_have_plain_subjects(life):
    for kind, start in (("update", "Ændret: "), ("cancellation", "Aflyst: ")):
        parsed, _dispatch, _meeting = life[kind]
        assert str(parsed["Subject"]) == f"{start}{TITLE}"
        assert_accessible_html(html_of(parsed), f"{start}{TITLE}")


def test_polls_and_announcements_are_multipart_without_a_calendar(world):
    coordinator = world.users["coordinator_a"]
    meeting = services.meeting_create(
        actor=coordinator, cluster=world.cluster_a, title="Hjertesvigt & KOL"
    )
    services.poll_open(
        actor=coordinator,
        meeting=meeting,
        slots=[(_evening(20), _evening(20) + dt.timedelta(hours=2))],
        notify=False,
    )
    services.poll_send(actor=coordinator, meeting=meeting)
    services.announcement_send(
        actor=coordinator, cluster=world.cluster_a, title="Sommerfest & møde", body="Kom!"
    )
    expected = {
        "poll": "Hvornår passer det dig? Datoafstemning: Hjertesvigt & KOL",
        "announcement": "Køgeklyngen: Sommerfest & møde",
    }
    for kind, subject in expected.items():
        dispatch = Dispatch.objects.filter(kind=kind, recipient=RECIPIENT).get()
        parsed = parse(mail.build_message(dispatch))
        assert parsed.get_content_type() == "multipart/alternative"
        assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
        assert str(parsed["Subject"]) == subject
        page = assert_accessible_html(html_of(parsed), subject)
        assert page.links, kind


def test_without_a_coordinator_address_the_organiser_is_the_sites_sender(world, settings):
    """Hillerødklyngen's coordinator has no e-mail address: the site's sender address
    stands in, under the cluster's name, and never a `.invalid` one if a real one
    exists."""
    settings.DEFAULT_FROM_EMAIL = "Klynge <klynge@example.dk>"
    meeting = services.meeting_create(
        actor=None,
        cluster=world.cluster_b,
        title="Møde",
        starts=_evening(25),
        ends=_evening(25) + dt.timedelta(hours=2),
    )
    services.meeting_invite(actor=None, meeting=meeting)
    dispatch = Dispatch.objects.get(meeting=meeting, recipient="laege@b.test")
    cal = calendars(parse(mail.build_message(dispatch)))
    organizer = cal.event["organizer"]
    assert str(organizer).lower() == "mailto:klynge@example.dk"
    assert str(organizer.params["CN"]) == "Hillerødklyngen"
    assert cal.vcal.vevent.organizer.value.lower() == "mailto:klynge@example.dk"
    assert [a.value.lower() for a in cal.vcal.vevent.attendee_list] == ["mailto:laege@b.test"]


def test_an_invalid_coordinator_address_is_passed_over(world):
    """An address under `.invalid` cannot receive the replies: the next holder of a
    role in the cluster (here the treasurer) organises instead."""
    from klynge.accounts.models import User

    User.objects.filter(email=COORDINATOR).update(email="koordinator@klynge.invalid")
    meeting = services.meeting_create(
        actor=None, cluster=world.cluster_a, title="Møde", starts=_evening(25)
    )
    assert mail.organizer(meeting)[1] == "kasserer@a.test"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_through_a_real_smtp_server_the_invitation_arrives_as_an_invitation(smtp):
    world = build_world()
    coordinator = world.users["coordinator_a"]
    meeting = services.meeting_create(
        actor=coordinator,
        cluster=world.cluster_a,
        title=TITLE,
        starts=_evening(30),
        ends=_evening(30) + dt.timedelta(hours=2),
    )
    services.meeting_invite(actor=coordinator, meeting=meeting)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)

    by_to = {str(m["To"]): m for m in smtp.messages}
    assert set(by_to) == {"koordinator@a.test", "kasserer@a.test", RECIPIENT}
    received = by_to[RECIPIENT]
    # Parse what the server stored, byte for byte, again from scratch.
    parsed = email.message_from_bytes(received.as_bytes(), policy=email.policy.default)
    check_mime(parsed, "REQUEST")
    meeting.refresh_from_db()
    dispatch = Dispatch.objects.get(meeting=meeting, recipient=RECIPIENT)
    check_calendars(
        calendars(parsed), method="REQUEST", meeting=meeting, sequence=0, name=dispatch.name
    )
    subject = str(parsed["Subject"])
    assert subject.startswith(f"Indkaldelse: {TITLE} den ")
    assert_accessible_html(html_of(parsed), subject)
    # Each message names its own recipient only.
    for address, message in by_to.items():
        attendees = calendars(message).vcal.vevent.attendee_list
        assert [a.value.lower() for a in attendees] == [f"mailto:{address}"]
