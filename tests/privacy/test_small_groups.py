"""Small groups (METHODS.md B, "Attacks a published benchmark must survive"): a free-text
answer, a reason or a comment from fewer than three people must not show in any page,
download or e-mail. Each test replays one attack through the web interface, logged in
as a member doctor of the cluster or as a member of a guest cluster of a joint meeting,
and asserts that what it was after is not there.

1. Evaluations: a meeting's scores and comments are shown from three answers, and a
   year (or any summary of several meetings) counts only the meetings that pass on
   their own, so that neither pooling nor differencing reveals a small meeting.
2. Absence reasons ("Sygdom") are for the coordinator, the board and the secretariat.
3. A joint meeting shows its guests the meeting, not the host cluster's own follow-up.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import zoneinfo

import icalendar
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from klynge.accounts.models import User
from klynge.meetings import mail, services
from klynge.meetings.models import Attendance, Dispatch, Meeting, MeetingKind
from klynge.registry.models import Doctor
from tests.world import PASSWORD, World, build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")

pytestmark = pytest.mark.django_db

SECRET_COMMENT = "Dr. Holm var uforberedt og talte ned til os"
SMALL_COMMENTS = ("Lokalet var for koldt", "Oplægsholderen kom for sent")
REASON = "Sygdom: stress"
GUEST_REASON = "Barsel"
HOST_ACTION = "Tal med Dr. Holm om hans mange sygemeldinger"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def w() -> World:
    return build_world()


@pytest.fixture
def doctors(w) -> list[Doctor]:
    """Cluster A's six doctors: [0] coordinator, [2] treasurer (board), [4] member_a."""
    return list(Doctor.objects.filter(clinic__in=w.clinics_a).order_by("id"))


@pytest.fixture
def doctors_b(w) -> list[Doctor]:
    return list(Doctor.objects.filter(participations__cluster=w.cluster_b).order_by("id"))


@pytest.fixture
def as_user(w):
    def login(role: str) -> Client:
        client = Client()
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        assert client.login(email=w.users[role].email, password=PASSWORD)
        return client

    return login


@pytest.fixture
def respondents(w, doctors) -> list[User]:
    """Six users of cluster A who can each answer an evaluation once."""
    users = [w.users["coordinator_a"], w.users["board_a"], w.users["member_a"]]
    for doctor in (doctors[1], doctors[3], doctors[5]):
        user = User.objects.create_user(f"doctor{doctor.pk}@a.test", PASSWORD)
        doctor.user = user
        doctor.save(update_fields=["user"])
        users.append(user)
    return users


@pytest.fixture
def printed(monkeypatch):
    """WeasyPrint replaced by the HTML it is given, so that a downloaded "PDF" can be
    read as text (no PDF text extractor is installed); the check is on what the PDF
    would print."""
    import weasyprint

    class Printed:
        def __init__(self, string: str = "", **kwargs) -> None:
            self.string = string
            self.metadata = types.SimpleNamespace(title="printed", lang="da")

        def render(self, **kwargs) -> Printed:
            return self

        def write_pdf(self, *args, **kwargs) -> bytes:
            return b"%PDF-1.7\n" + self.string.encode()

    monkeypatch.setattr(weasyprint, "HTML", Printed)


def text(response) -> str:
    return response.content.decode("utf-8-sig")


def url(name: str, m: Meeting, *args) -> str:
    return reverse(f"meetings:{name}", args=[m.cluster.slug, m.pk, *args])


def held(w, doctors, day: dt.datetime, **fields) -> Meeting:
    """A meeting held on `day` with attendance registered (so it counts for the year)."""
    fields.setdefault("title", f"Møde {day:%d.%m}")
    m = services.meeting_create(actor=None, cluster=w.cluster_a, starts=day, **fields)
    services.attendance_record(
        actor=None, meeting=m, marks={d.pk: ("present", "") for d in doctors[:3]}
    )
    return m


def answer(m: Meeting, user: User, score: int, comment: str = "") -> None:
    services.evaluation_submit(
        user=user, meeting=m, relevance=score, learning=score, organisation=score, comment=comment
    )


def kpis(html: str) -> list[str]:
    """The figures of every evaluation summary on a page."""
    return re.findall(r'<div class="kpis">.*?</div>', html, flags=re.S)


def year_section(html: str) -> str:
    """The year's evaluation summary on the attendance page (before the per-meeting
    table)."""
    start = html.index("<h2>Evaluations</h2>")
    end = html.find('<div class="table-wrap">', start)
    return html[start : end if end != -1 else None]


# --- 1. Evaluations ---------------------------------------------------------------------


def test_a_comment_from_a_meeting_with_one_answer_is_not_shown_in_the_year(
    w, doctors, respondents, as_user
):
    """The year pools the answers of every meeting: three answers at the spring meeting
    made the year "shown", and with it the lone autumn answer's comment and score."""
    year = timezone.localdate().year - 1
    spring = held(w, doctors, dt.datetime(year, 3, 12, 17, tzinfo=CPH), title="Forårsmødet")
    autumn = held(w, doctors, dt.datetime(year, 9, 17, 17, tzinfo=CPH), title="Efterårsmødet")
    for user, score in zip(respondents[:3], (5, 4, 3), strict=True):
        answer(spring, user, score, comment="Godt oplæg")
    year_page = reverse("meetings:attendance_year", args=[w.cluster_a.slug]) + f"?aar={year}"
    client = as_user("member_a")
    before = text(client.get(year_page))

    answer(autumn, respondents[3], 1, comment=SECRET_COMMENT)
    response = client.get(year_page)
    assert response.status_code == 200
    after = text(response)
    assert SECRET_COMMENT not in after
    assert "Godt oplæg" in after  # the spring meeting's comments are shown
    # Differencing: the year with the autumn answer and the year without it show the
    # same figures, so the lone answer cannot be worked out from them.
    assert kpis(year_section(after)) == kpis(year_section(before)) != []
    # Nor is it on the autumn meeting's own page.
    page = text(client.get(url("evaluation", autumn)))
    assert SECRET_COMMENT not in page and not kpis(page)


def test_two_small_meetings_do_not_add_up_to_a_shown_year(w, doctors, respondents, as_user):
    """Two answers at each of two meetings are four answers for the year: the pooled
    means and the four comments were shown although no meeting had three answers."""
    year = timezone.localdate().year - 1
    first = held(w, doctors, dt.datetime(year, 2, 6, 17, tzinfo=CPH))
    second = held(w, doctors, dt.datetime(year, 5, 8, 17, tzinfo=CPH))
    answer(first, respondents[0], 5, comment=SMALL_COMMENTS[0])
    answer(first, respondents[1], 4)
    answer(second, respondents[2], 1, comment=SMALL_COMMENTS[1])
    answer(second, respondents[3], 2)

    page = text(
        as_user("member_a").get(
            reverse("meetings:attendance_year", args=[w.cluster_a.slug]) + f"?aar={year}"
        )
    )
    for comment in SMALL_COMMENTS:
        assert comment not in page
    assert kpis(page) == []  # no means, for the year or for either meeting


@pytest.mark.parametrize("role", ["coordinator_a", "region_a"])
def test_the_activity_report_counts_only_meetings_with_enough_answers(
    w, doctors, respondents, as_user, printed, role
):
    """The activity report's mean (page and PDF) took in a meeting with one answer:
    (5 + 4 + 3 + 1) / 4 = 3.25 against 4.0 without it, which gives the lone score."""
    year = timezone.localdate().year - 1
    spring = held(w, doctors, dt.datetime(year, 3, 12, 17, tzinfo=CPH))
    autumn = held(w, doctors, dt.datetime(year, 9, 17, 17, tzinfo=CPH))
    for user, score in zip(respondents[:3], (5, 4, 3), strict=True):
        answer(spring, user, score)
    answer(autumn, respondents[3], 1, comment=SECRET_COMMENT)

    client = as_user(role)
    report = reverse("meetings:activity_report", args=[w.cluster_a.slug]) + f"?aar={year}"
    pdf = reverse("meetings:activity_report.download", args=[w.cluster_a.slug, year, "pdf"])
    # The page is in English; the PDF, the cluster's record, in Danish.
    for response, means in [
        (client.get(report), "4.0 · 4.0 · 4.0 (3 answers)"),
        (client.get(pdf), "4,0 · 4,0 · 4,0 (3 svar)"),
    ]:
        assert response.status_code == 200
        body = text(response)
        assert means in body
        assert SECRET_COMMENT not in body


def test_a_joint_meetings_small_evaluation_is_hidden_from_the_guest_cluster(
    w, doctors, respondents, as_user
):
    """A guest-cluster member reads the joint meeting's evaluation page and their own
    cluster's year; neither shows the two answers given."""
    year = timezone.localdate().year - 1
    joint = held(
        w,
        doctors,
        dt.datetime(year, 10, 1, 17, tzinfo=CPH),
        kind=MeetingKind.JOINT,
        guest_clusters=[w.cluster_b],
    )
    spring = held(w, doctors, dt.datetime(year, 3, 12, 17, tzinfo=CPH))
    for user in respondents[:3]:
        answer(spring, user, 4)
    answer(joint, respondents[3], 1, comment=SECRET_COMMENT)
    answer(joint, w.users["member_b"], 2)

    guest = as_user("member_b")
    page = guest.get(url("evaluation", joint))
    assert page.status_code == 200
    assert SECRET_COMMENT not in text(page) and not kpis(text(page))
    own_year = reverse("meetings:attendance_year", args=[w.cluster_b.slug]) + f"?aar={year}"
    assert SECRET_COMMENT not in text(guest.get(own_year))
    host_year = reverse("meetings:attendance_year", args=[w.cluster_a.slug]) + f"?aar={year}"
    assert guest.get(host_year).status_code == 404
    # The host cluster's own member: the joint meeting's lone comment is not in the year.
    member_page = text(as_user("member_a").get(host_year))
    assert SECRET_COMMENT not in member_page
    assert kpis(year_section(member_page))  # the spring meeting is shown


# --- 2. Absence reasons -----------------------------------------------------------------


@pytest.fixture
def excused(w, doctors) -> Meeting:
    """Held a week ago; doctors[5] (an ordinary member) was excused for illness."""
    day = timezone.localdate() - dt.timedelta(days=7)
    m = services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Afholdt møde",
        template="ordinary",
        starts=dt.datetime.combine(day, dt.time(17), tzinfo=CPH),
    )
    services.attendance_record(
        actor=None,
        meeting=m,
        marks={
            **{d.pk: ("present", "") for d in doctors[:4]},
            doctors[5].pk: ("excused", REASON),
        },
    )
    return m


def test_a_member_downloads_the_attendance_list_without_absence_reasons(
    w, excused, as_user, printed
):
    client = as_user("member_a")
    csv = client.get(url("attendance.export", excused, "csv"))
    assert csv.status_code == 200
    assert REASON not in text(csv) and "Sygdom" not in text(csv)
    assert text(csv).splitlines()[0] == "Name;Clinic;Status"  # the interface is English
    assert "Excused" in text(csv)  # the status itself stays
    pdf = client.get(url("attendance.export", excused, "pdf"))
    assert pdf.status_code == 200 and "Sygdom" not in text(pdf)
    year = reverse("meetings:attendance_year", args=[w.cluster_a.slug])
    assert "Sygdom" not in text(client.get(year))
    # The coordinator, the board and the secretariat still have them; regional staff,
    # who do not register attendance, do not.
    for role, sees in [
        ("coordinator_a", True),
        ("board_a", True),
        ("secretariat", True),
        ("region_a", False),
    ]:
        body = text(as_user(role).get(url("attendance.export", excused, "csv")))
        assert (REASON in body) is sees, role
        body = text(as_user(role).get(url("attendance.export", excused, "pdf")))
        assert (REASON in body) is sees, role


def test_the_approved_minutes_carry_no_absence_reasons(w, doctors, excused, as_user, printed):
    """The approved minutes are one PDF for every member (and the cluster's archive)."""
    response = as_user("coordinator_a").post(url("minutes.approve", excused, 1))
    assert response.status_code == 302
    pdf = as_user("member_a").get(url("minutes.pdf", excused, 1))
    assert pdf.status_code == 200
    body = b"".join(pdf.streaming_content).decode()
    assert "Sygdom" not in body
    assert "Meldt afbud (1)" in body and doctors[5].name in body  # who, but not why


def test_a_member_hosting_in_turn_registers_but_does_not_read_absence_reasons(w, doctors, as_user):
    """The member who hosts a meeting in turn manages it, attendance page included, but
    is an ordinary member doctor: reasons can be written there, not read back."""
    day = timezone.localdate() - dt.timedelta(days=2)
    m = services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Møde med vært",
        starts=dt.datetime.combine(day, dt.time(17), tzinfo=CPH),
        host_model="member",
        host=doctors[4],  # member_a
    )
    services.attendance_record(
        actor=None,
        meeting=m,
        marks={doctors[5].pk: ("excused", REASON), doctors[3].pk: ("present", "")},
    )
    client = as_user("member_a")
    page = client.get(url("attendance", m))
    assert page.status_code == 200
    assert "Sygdom" not in text(page)
    assert "Sygdom" not in text(client.get(url("attendance.export", m, "csv")))

    # Saving the page again (as it was shown) keeps the reason; a new one is written.
    data = {
        f"status-{doctors[5].pk}": "excused",
        f"reason-{doctors[5].pk}": "",
        f"status-{doctors[3].pk}": "excused",
        f"reason-{doctors[3].pk}": "Kursus",
    }
    assert client.post(url("attendance.record", m), data).status_code == 302
    got = {a.doctor_id: (a.status, a.reason) for a in Attendance.objects.filter(meeting=m)}
    assert got[doctors[5].pk] == ("excused", REASON)
    assert got[doctors[3].pk] == ("excused", "Kursus")
    assert "Kursus" not in text(client.get(url("attendance", m)))
    # The coordinator reads both.
    body = text(as_user("coordinator_a").get(url("attendance", m)))
    assert REASON in body and "Kursus" in body


def test_a_guest_cluster_member_sees_no_absence_reasons_of_a_joint_meeting(
    w, doctors, doctors_b, as_user, printed
):
    day = timezone.localdate() - dt.timedelta(days=3)
    joint = services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Klyngestormøde",
        kind=MeetingKind.JOINT,
        guest_clusters=[w.cluster_b],
        starts=dt.datetime.combine(day, dt.time(17), tzinfo=CPH),
    )
    services.attendance_record(
        actor=None,
        meeting=joint,
        marks={
            doctors[5].pk: ("excused", REASON),
            doctors_b[0].pk: ("excused", GUEST_REASON),
            doctors[0].pk: ("present", ""),
        },
    )
    client = as_user("member_b")
    for fmt in ("csv", "pdf"):
        response = client.get(url("attendance.export", joint, fmt))
        assert response.status_code == 200, fmt
        assert "Sygdom" not in text(response) and GUEST_REASON not in text(response), fmt
    assert client.get(url("attendance", joint)).status_code == 404
    # The host's coordinator registers the joint meeting's attendance and reads them.
    body = text(as_user("coordinator_a").get(url("attendance.export", joint, "csv")))
    assert REASON in body and GUEST_REASON in body


# --- 3. A joint meeting and its guests --------------------------------------------------


@pytest.fixture
def joint(w, doctors) -> Meeting:
    """Cluster A's own meeting left an open action about a colleague; then A invites
    cluster B to a joint meeting with the ordinary agenda (which takes up open actions)."""
    now = timezone.localdate()
    own = services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Køgeklyngens eget møde",
        starts=dt.datetime.combine(now - dt.timedelta(days=30), dt.time(17), tzinfo=CPH),
    )
    services.action_add(
        actor=None,
        meeting=own,
        text=HOST_ACTION,
        owner=doctors[2],
        due=now + dt.timedelta(days=10),
    )
    starts = dt.datetime.combine(now + dt.timedelta(days=21), dt.time(17), tzinfo=CPH)
    return services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Klyngestormøde om KOL",
        kind=MeetingKind.JOINT,
        guest_clusters=[w.cluster_b],
        template="ordinary",
        starts=starts,
        ends=starts + dt.timedelta(hours=3),
        place="Roskilde Kongrescenter",
    )


def _agenda_titles(m: Meeting) -> list[str]:
    return [i.title for i in m.items.all()]


def test_the_guests_invitation_to_a_joint_meeting_has_no_host_actions(
    w, doctors, joint, as_user, django_capture_on_commit_callbacks
):
    owner = doctors[2].name
    with django_capture_on_commit_callbacks(execute=False):
        response = as_user("coordinator_a").post(url("invite.send", joint))
    assert response.status_code == 302
    dispatch = Dispatch.objects.get(meeting=joint, recipient=w.users["member_b"].email)
    message = mail.build_message(dispatch)
    body = message.body
    assert joint.title in body and "Roskilde Kongrescenter" in body
    for title in _agenda_titles(joint):
        assert title in body
    assert HOST_ACTION not in body and owner not in body
    [(_name, ics, _type)] = message.attachments
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    calendar_text = ics.decode() if isinstance(ics, bytes) else ics
    assert joint.title in str(event["summary"])
    assert "Holm" not in calendar_text and owner not in calendar_text


def test_a_guest_cluster_member_sees_the_joint_meeting_not_the_hosts_follow_up(
    w, doctors, joint, as_user, printed
):
    owner = doctors[2].name
    client = as_user("member_b")
    detail = client.get(url("detail", joint))
    assert detail.status_code == 200
    body = text(detail)
    assert joint.title in body and "Roskilde Kongrescenter" in body
    for title in _agenda_titles(joint):
        assert title in body
    for name in ("detail", "minutes", "presentation", "pack"):
        response = client.get(url(name, joint))
        assert response.status_code == 200, name
        assert HOST_ACTION not in text(response), name
        assert owner not in text(response), name


def test_a_joint_meeting_takes_up_the_actions_of_earlier_joint_meetings_of_the_same_clusters(
    w, doctors, doctors_b, joint, as_user
):
    """What the clusters agreed together is followed up together; the host's own
    follow-up stays on the host's own meetings."""
    earlier = services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Forrige klyngestormøde",
        kind=MeetingKind.JOINT,
        guest_clusters=[w.cluster_b],
        starts=joint.starts - dt.timedelta(days=60),
    )
    services.action_add(
        actor=None, meeting=earlier, text="Fælles KOL-forløb afprøves", owner=doctors_b[0]
    )
    page = text(as_user("member_b").get(url("detail", joint)))
    assert "Fælles KOL-forløb afprøves" in page and HOST_ACTION not in page
    later_own = services.meeting_create(
        actor=None,
        cluster=w.cluster_a,
        title="Køgeklyngens næste møde",
        template="ordinary",
        starts=joint.starts + dt.timedelta(days=30),
    )
    page = text(as_user("member_a").get(url("detail", later_own)))
    assert HOST_ACTION in page
