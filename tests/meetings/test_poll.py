"""The date poll as a coordinator runs it: dates offered one by one and sent as one
e-mail per member, a reminder to those who have not answered (once a day each), the
list of non-responders, and a warning when a date collides with another meeting.

(Delivery through a real SMTP server is in `test_mail.py`.)"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.meetings import selectors, services
from klynge.meetings.models import Dispatch, Meeting, PollSlot
from klynge.registry.models import Doctor
from tests.world import PASSWORD, build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")
EMAILS_A = {"koordinator@a.test", "kasserer@a.test", "laege@a.test"}

pytestmark = pytest.mark.django_db


def evening(days: int, hour: int = 17) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=CPH)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def w():
    return build_world()


@pytest.fixture
def coordinator(w):
    return w.users["coordinator_a"]


@pytest.fixture
def doctors(w) -> list[Doctor]:
    """Cluster A's six doctors: 0 the coordinator, 2 the treasurer, 4 a member; only
    these three have an e-mail address."""
    return list(Doctor.objects.filter(clinic__in=w.clinics_a).order_by("id"))


@pytest.fixture
def as_user(w):
    def login(role: str) -> Client:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        user = w.users[role]
        if user is not None:
            assert client.login(email=user.email, password=PASSWORD)
        return client

    return login


def meeting(w, days: int | None = None, **fields) -> Meeting:
    fields.setdefault("title", "Hjertesvigt")
    if days is not None:
        fields.setdefault("starts", evening(days))
    return services.meeting_create(actor=None, cluster=w.cluster_a, **fields)


def url(name: str, m: Meeting, *args) -> str:
    return reverse(f"meetings:{name}", args=[m.cluster.slug, m.pk, *args])


def offer(coordinator, m: Meeting, *days: int) -> list[PollSlot]:
    """Offer each date on its own, the way the page does."""
    return [
        services.poll_open(
            actor=coordinator, meeting=m, slots=[(evening(d), evening(d, 19))], notify=False
        )[0]
        for d in days
    ]


def polls(m: Meeting, kind: str = Dispatch.Kind.POLL) -> list[str]:
    return sorted(Dispatch.objects.filter(meeting=m, kind=kind).values_list("recipient", flat=True))


# --- One e-mail per poll --------------------------------------------------------------------


def test_four_dates_offered_one_by_one_make_one_email_per_member(w, coordinator):
    m = meeting(w)
    offer(coordinator, m, 20, 21, 27, 28)
    assert polls(m) == []  # offering a date sends nothing
    sent = services.poll_send(actor=coordinator, meeting=m)
    assert len(sent) == 3 and polls(m) == sorted(EMAILS_A)
    assert all(s.announced_at is not None for s in m.slots.all())
    entry = AuditEntry.objects.get(action="meetings.poll.sent")
    assert entry.data["recipients"] == 3 and entry.data["dates"] == 4

    # Nothing new to send: refused, nothing mailed.
    with pytest.raises(DomainError) as refused:
        services.poll_send(actor=coordinator, meeting=m)
    assert "Send a reminder" in refused.value.message
    assert len(polls(m)) == 3

    # A date added later goes out with the next send, again one e-mail each.
    [late] = offer(coordinator, m, 35)
    assert late.announced_at is None
    services.poll_send(actor=coordinator, meeting=m)
    assert len(polls(m)) == 6


def test_offering_several_dates_at_once_with_notify_is_one_email_each(w, coordinator):
    m = meeting(w)
    services.poll_open(
        actor=coordinator, meeting=m, slots=[(evening(d), evening(d, 19)) for d in (9, 10, 11, 12)]
    )
    assert polls(m) == sorted(EMAILS_A)


def test_the_poll_is_not_sent_for_a_settled_or_cancelled_meeting_or_without_dates(w, coordinator):
    empty = meeting(w)
    with pytest.raises(DomainError, match="Offer at least one date first"):
        services.poll_send(actor=coordinator, meeting=empty)
    dated = meeting(w, days=20)
    with pytest.raises(DomainError, match="already settled"):
        services.poll_send(actor=coordinator, meeting=dated)
    cancelled = meeting(w)
    offer(coordinator, cancelled, 20)
    services.meeting_cancel(actor=coordinator, meeting=cancelled)
    with pytest.raises(DomainError, match="cancelled"):
        services.poll_send(actor=coordinator, meeting=cancelled)
    assert not Dispatch.objects.exists()


# --- Who has not answered, and the reminder ---------------------------------------------------


def test_the_nonresponders_are_the_invited_without_any_answer(w, coordinator, doctors):
    m = meeting(w)
    s1, s2 = offer(coordinator, m, 20, 21)
    services.poll_answer(doctor=doctors[0], meeting=m, answers={s1.pk: "yes"})
    services.poll_answer(doctor=doctors[3], meeting=m, answers={s2.pk: "no"})
    missing = selectors.poll_nonresponders(m)
    assert [d.pk for d in missing] == [
        d.pk for d in sorted([doctors[i] for i in (1, 2, 4, 5)], key=lambda d: d.name)
    ]


def test_the_reminder_reaches_only_those_who_have_not_answered_once_a_day(w, coordinator, doctors):
    m = meeting(w)
    [slot] = offer(coordinator, m, 20)
    with pytest.raises(DomainError, match="Send the date poll first"):
        services.poll_remind(actor=coordinator, meeting=m)
    services.poll_send(actor=coordinator, meeting=m)
    services.poll_answer(doctor=doctors[0], meeting=m, answers={slot.pk: "yes"})

    reminded = services.poll_remind(actor=coordinator, meeting=m)
    assert sorted(d.recipient for d in reminded) == ["kasserer@a.test", "laege@a.test"]
    assert {d.kind for d in reminded} == {Dispatch.Kind.POLL_REMINDER}
    assert AuditEntry.objects.get(action="meetings.poll.reminded").data["recipients"] == 2

    # A second press the same day sends nothing more.
    with pytest.raises(DomainError, match="reminded today"):
        services.poll_remind(actor=coordinator, meeting=m)
    assert len(polls(m, Dispatch.Kind.POLL_REMINDER)) == 2

    # Someone answers; the next day only the one still missing is reminded.
    services.poll_answer(doctor=doctors[2], meeting=m, answers={slot.pk: "no"})
    Dispatch.objects.filter(kind=Dispatch.Kind.POLL_REMINDER).update(
        created=timezone.now() - dt.timedelta(days=1)
    )
    again = services.poll_remind(actor=coordinator, meeting=m)
    assert [d.recipient for d in again] == ["laege@a.test"]
    rows = {r.doctor.pk: r for r in selectors.poll_nonresponders_with_reminders(m)}
    assert rows[doctors[4].pk].last_reminded == again[0].created
    assert rows[doctors[1].pk].email == "" and rows[doctors[1].pk].last_reminded is None


def test_a_reminder_when_everyone_has_answered_or_nobody_missing_has_an_address(
    w, coordinator, doctors
):
    m = meeting(w)
    [slot] = offer(coordinator, m, 20)
    services.poll_send(actor=coordinator, meeting=m)
    for i in (0, 2, 4):
        services.poll_answer(doctor=doctors[i], meeting=m, answers={slot.pk: "yes"})
    with pytest.raises(DomainError, match="no e-mail address"):
        services.poll_remind(actor=coordinator, meeting=m)
    for i in (1, 3, 5):
        services.poll_answer(doctor=doctors[i], meeting=m, answers={slot.pk: "yes"})
    with pytest.raises(DomainError, match="Everyone invited has answered"):
        services.poll_remind(actor=coordinator, meeting=m)
    assert polls(m, Dispatch.Kind.POLL_REMINDER) == []


# --- Collisions -----------------------------------------------------------------------------


def test_a_date_on_the_day_of_or_over_another_meeting_is_a_collision(w, coordinator):
    other = meeting(w, title="Generalforsamling", starts=evening(20, 17), ends=evening(20, 19))
    cancelled = meeting(w, title="Aflyst", starts=evening(21, 17))
    services.meeting_cancel(actor=None, meeting=cancelled)
    services.meeting_create(
        actor=None, cluster=w.cluster_b, title="Den anden klynges møde", starts=evening(22, 17)
    )
    m = meeting(w)
    morning, evening_over, *_others = services.poll_open(
        actor=coordinator,
        meeting=m,
        slots=[
            (evening(20, 8), evening(20, 10)),  # the same day, hours before
            (evening(20, 18), evening(20, 20)),  # over the other meeting's last hour
            (evening(24, 17), evening(24, 19)),  # nothing that day
            (evening(21, 17), evening(21, 19)),  # a cancelled meeting's day
            (evening(22, 17), evening(22, 19)),  # another cluster's meeting's day
        ],
        notify=False,
    )

    found = selectors.poll_collisions(m)
    assert set(found) == {morning.pk, evening_over.pk}
    assert [(c.meeting.pk, c.overlaps) for c in found[morning.pk]] == [(other.pk, False)]
    assert [(c.meeting.pk, c.overlaps) for c in found[evening_over.pk]] == [(other.pk, True)]
    # Without an end, another meeting is taken to last two hours.
    open_ended = selectors.date_collisions(
        cluster=w.cluster_a, starts=evening(30, 18), ends=evening(30, 20), exclude=m
    )
    assert open_ended == []
    meeting(w, title="Uden sluttid", starts=evening(30, 17))
    [c] = selectors.date_collisions(
        cluster=w.cluster_a, starts=evening(30, 18), ends=evening(30, 20), exclude=m
    )
    assert c.overlaps and c.meeting.title == "Uden sluttid"


def test_a_joint_meeting_the_cluster_is_invited_to_collides_too(w, coordinator):
    joint = services.meeting_create(
        actor=None,
        cluster=w.cluster_b,
        title="Klyngestormøde",
        kind="joint",
        guest_clusters=[w.cluster_a],
        starts=evening(20, 17),
    )
    m = meeting(w)
    [slot] = offer(coordinator, m, 20)
    assert [c.meeting.pk for c in selectors.poll_collisions(m)[slot.pk]] == [joint.pk]


# --- The poll on the meeting page -------------------------------------------------------------


def test_the_coordinator_offers_dates_sends_the_poll_and_reminds_from_the_page(w, as_user, doctors):
    meeting(w, title="Generalforsamling", starts=evening(20, 17), ends=evening(20, 19))
    m = meeting(w)
    client = as_user("coordinator_a")
    for days in (20, 21, 27, 28):
        day = (timezone.localdate() + dt.timedelta(days=days)).strftime("%d-%m-%Y")
        response = client.post(
            url("poll.slot.add", m), {"day": day, "start_time": "17:00", "end_time": "19:00"}
        )
        assert response.status_code == 302
    # The messages pile up unread across the four posts: one warning in all.
    warnings = [str(x) for x in get_messages(response.wsgi_request) if x.level_tag == "warning"]
    assert len(warnings) == 1
    assert warnings[0].startswith("Note: the date overlaps Generalforsamling")
    assert not Dispatch.objects.filter(meeting=m).exists()

    page = client.get(url("detail", m)).content.decode()
    assert page.count("not sent yet") == 4
    assert "Overlaps Generalforsamling" in page
    assert "Send the date poll to the members" in page
    assert "Each member gets one e-mail with all 4 dates." in page
    assert "Not answered yet" not in page  # before the poll is sent

    response = client.post(url("poll.send", m))
    assert response.status_code == 302
    assert polls(m) == sorted(EMAILS_A)

    slot = m.slots.first()
    services.poll_answer(doctor=doctors[4], meeting=m, answers={slot.pk: "yes"})
    page = client.get(url("detail", m)).content.decode()
    assert "Send the date poll to the members" not in page and "not sent yet" not in page
    section = page.split('id="poll-nonresponders"')[1].split("</section>")[0]
    assert doctors[4].name not in section
    assert all(doctors[i].name in section for i in (0, 1, 2, 3, 5))
    assert section.count("no e-mail address") == 3

    response = client.post(url("poll.remind", m))
    assert response.status_code == 302
    assert polls(m, Dispatch.Kind.POLL_REMINDER) == ["kasserer@a.test", "koordinator@a.test"]
    again = client.post(url("poll.remind", m))
    assert again.status_code == 400
    assert "reminded today" in again.content.decode()
    assert len(polls(m, Dispatch.Kind.POLL_REMINDER)) == 2
    page = client.get(url("detail", m)).content.decode()
    assert page.count("· reminded ") == 2


def test_members_see_no_send_or_reminder_and_cannot_post_them(w, as_user, coordinator):
    m = meeting(w)
    offer(coordinator, m, 20)
    services.poll_send(actor=coordinator, meeting=m)
    member = as_user("member_a")
    page = member.get(url("detail", m)).content.decode()
    assert "Send a reminder" not in page and "Not answered yet" not in page
    assert member.post(url("poll.remind", m)).status_code == 404
    assert member.post(url("poll.send", m)).status_code == 404
    assert polls(m, Dispatch.Kind.POLL_REMINDER) == []
