""" "Jeg kommer / jeg kommer ikke": an invited doctor answers whether they will come;
the coordinator reads the answers (and who has not answered) on the meeting page and
beside the attendance list, which stays what actually happened."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.meetings import selectors, services
from klynge.meetings.models import Attendance, Meeting, MeetingKind, Rsvp
from klynge.registry.models import Doctor
from tests.world import PASSWORD, build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")

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
def doctors(w) -> list[Doctor]:
    """Cluster A's six doctors: 0 the coordinator, 2 the treasurer, 4 a member."""
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


def meeting(w, days: int | None = 20, **fields) -> Meeting:
    fields.setdefault("title", "Antibiotika i vinterhalvåret")
    if days is not None:
        fields.setdefault("starts", evening(days))
    return services.meeting_create(actor=None, cluster=w.cluster_a, **fields)


def url(name: str, m: Meeting) -> str:
    return reverse(f"meetings:{name}", args=[m.cluster.slug, m.pk])


# --- The service and the selector -----------------------------------------------------------


def test_an_answer_is_kept_once_per_doctor_and_can_be_changed(w, doctors):
    m = meeting(w)
    first = services.rsvp_give(doctor=doctors[4], meeting=m, coming=True)
    again = services.rsvp_give(doctor=doctors[4], meeting=m, coming=False)
    assert Rsvp.objects.filter(meeting=m).count() == 1
    assert again.pk == first.pk and again.coming is False
    assert again.answered_at >= first.answered_at
    entries = AuditEntry.objects.filter(
        action="meetings.rsvp.given", scope=f"cluster:{m.cluster_id}"
    )
    assert [e.data["coming"] for e in entries.order_by("id")] == [True, False]
    assert entries.first().actor == w.users["member_a"]


def test_the_summary_splits_the_invited_by_their_answer(w, doctors):
    m = meeting(w)
    services.rsvp_give(doctor=doctors[0], meeting=m, coming=True)
    services.rsvp_give(doctor=doctors[4], meeting=m, coming=True)
    services.rsvp_give(doctor=doctors[5], meeting=m, coming=False)
    summary = selectors.rsvp_summary(m)
    assert [d.pk for d, _r in summary.coming] == sorted(
        [doctors[0].pk, doctors[4].pk], key=lambda pk: Doctor.objects.get(pk=pk).name
    )
    assert [d.pk for d, _r in summary.not_coming] == [doctors[5].pk]
    assert {d.pk for d in summary.unanswered} == {doctors[i].pk for i in (1, 2, 3)}
    assert summary.invited == 6
    assert summary.of(doctors[5]).coming is False and summary.of(doctors[1]) is None


def test_an_answer_from_a_doctor_who_left_is_not_counted(w, doctors):
    from klynge.registry import services as registry

    m = meeting(w, days=40)
    services.rsvp_give(doctor=doctors[5], meeting=m, coming=True)
    participation = doctors[5].participations.get()
    registry.participation_end(
        actor=None, participation=participation, end=timezone.localdate() + dt.timedelta(days=1)
    )
    summary = selectors.rsvp_summary(m)
    assert summary.invited == 5 and summary.coming == []


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("undated", "The date is not set yet; answer the date poll instead."),
        ("begun", "The meeting has begun; the answer can no longer be changed."),
        ("cancelled", "The meeting is cancelled."),
        ("outsider", "Only the doctors invited to the meeting can answer."),
        ("board", "Only the doctors invited to the meeting can answer."),
    ],
)
def test_answers_are_refused_where_they_make_no_sense(w, doctors, case, message):
    doctor = doctors[4]
    if case == "undated":
        m = meeting(w, days=None)
    elif case == "begun":
        m = meeting(w, days=0, starts=timezone.now() - dt.timedelta(minutes=1))
    elif case == "cancelled":
        m = meeting(w)
        services.meeting_cancel(actor=None, meeting=m)
    elif case == "outsider":
        m = meeting(w)
        doctor = Doctor.objects.filter(participations__cluster=w.cluster_b).first()
    else:  # a board meeting invites the board only; doctor 4 is a plain member
        m = meeting(w, kind=MeetingKind.BOARD)
    with pytest.raises(DomainError) as refused:
        services.rsvp_give(doctor=doctor, meeting=m, coming=True)
    assert refused.value.message == message
    assert not Rsvp.objects.exists()


def test_a_guest_clusters_member_answers_a_joint_meeting(w):
    guest = Doctor.objects.filter(participations__cluster=w.cluster_b).first()
    m = meeting(w, kind=MeetingKind.JOINT, guest_clusters=[w.cluster_b])
    services.rsvp_give(doctor=guest, meeting=m, coming=True)
    assert [d.pk for d, _r in selectors.rsvp_summary(m).coming] == [guest.pk]


# --- The pages --------------------------------------------------------------------------------


def test_a_member_says_they_are_coming_and_the_coordinator_sees_it(w, doctors, as_user):
    m = meeting(w)
    member = as_user("member_a")
    page = member.get(url("detail", m)).content.decode()
    assert "Are you coming?" in page and 'name="coming" value="yes"' in page

    response = member.post(url("meeting.rsvp", m), {"coming": "yes"})
    assert response.status_code == 302 and response["Location"] == url("detail", m)
    assert Rsvp.objects.get(meeting=m, doctor=doctors[4]).coming is True
    page = member.get(url("detail", m)).content.decode()
    assert "You answered that you are coming" in page

    coordinator = as_user("coordinator_a")
    page = coordinator.get(url("detail", m)).content.decode()
    assert "1 is coming · 0 are not coming · 5 have not answered" in page
    coming = page.split("Coming</strong>")[1].split("</article>")[0]
    assert doctors[4].name in coming
    unanswered = page.split("Not answered</strong>")[1].split("</article>")[0]
    assert doctors[4].name not in unanswered and doctors[1].name in unanswered

    # The answer shows beside the attendance list, which is still to be registered.
    attendance = coordinator.get(url("attendance", m)).content.decode()
    assert "Answered beforehand" in attendance
    row = attendance.split(doctors[4].name)[1].split("</tr>")[0]
    assert "Coming" in row and "checked" not in row
    assert not Attendance.objects.filter(meeting=m).exists()


def test_the_answer_can_return_to_the_start_page(w, as_user):
    m = meeting(w)
    response = as_user("member_a").post(url("meeting.rsvp", m), {"coming": "no", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    foreign = as_user("member_a").post(
        url("meeting.rsvp", m), {"coming": "no", "next": "https://evil.test/"}
    )
    assert foreign["Location"] == url("detail", m)


def test_a_missing_or_refused_answer_is_shown_on_the_meeting_page(w, as_user):
    m = meeting(w)
    member = as_user("member_a")
    response = member.post(url("meeting.rsvp", m), {"coming": "maybe"})
    assert response.status_code == 400
    assert "Say whether you are coming." in response.content.decode()
    begun = meeting(w, days=0, starts=timezone.now() - dt.timedelta(minutes=5))
    response = member.post(url("meeting.rsvp", begun), {"coming": "yes"})
    assert response.status_code == 400
    assert "The meeting has begun" in response.content.decode()
    assert not Rsvp.objects.exists()


def test_only_invited_members_answer(w, as_user):
    m = meeting(w)
    for role in ("member_b", "region_a", "secretariat", "doctor_free"):
        assert as_user(role).post(url("meeting.rsvp", m), {"coming": "yes"}).status_code == 404
    assert not Rsvp.objects.exists()
