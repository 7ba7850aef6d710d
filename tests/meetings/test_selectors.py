"""Reading meetings: who is invited, the roles a meeting gives, carried actions, the
year's attendance against the statutes' rule, quorum and evaluation summaries."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone, translation

from klynge.core.permissions import Role, has_perm
from klynge.governance.models import Statutes
from klynge.meetings import selectors, services
from klynge.meetings.models import MeetingKind
from klynge.registry import services as registry
from klynge.registry.models import Doctor, Participation
from tests.world import FOUNDED, build_world

CPH = zoneinfo.ZoneInfo("Europe/Copenhagen")

pytestmark = pytest.mark.django_db


def evening(days: int, hour: int = 17) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, 0), tzinfo=CPH)


def on(day: dt.date, hour: int = 17) -> dt.datetime:
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
    return list(Doctor.objects.filter(clinic__in=w.clinics_a).order_by("id"))


def meeting(w, starts=None, cluster=None, **fields):
    fields.setdefault("title", "Møde")
    return services.meeting_create(
        actor=None, cluster=cluster or w.cluster_a, starts=starts, **fields
    )


# --- Who is invited and what a meeting lets them do -------------------------------------


def test_invited_doctors_follow_the_kind_of_meeting(w, doctors):
    doctors_b = set(Doctor.objects.filter(participations__cluster=w.cluster_b))
    assert len(doctors_b) == 4
    ordinary = meeting(w, evening(10))
    assert set(selectors.invited_doctors(ordinary)) == set(doctors)

    joint = meeting(w, evening(10), kind=MeetingKind.JOINT, guest_clusters=[w.cluster_b])
    assert set(selectors.invited_doctors(joint)) == set(doctors) | doctors_b
    # Guest clusters count only for a joint meeting; the host cluster is never its own guest.
    not_joint = meeting(w, evening(10), guest_clusters=[w.cluster_b, w.cluster_a])
    assert list(not_joint.guest_clusters.all()) == [w.cluster_b]
    assert set(selectors.invited_doctors(not_joint)) == set(doctors)

    # The board and the coordinator only.
    board = meeting(w, evening(10), kind=MeetingKind.BOARD)
    assert set(selectors.invited_doctors(board)) == {doctors[0], doctors[2]}


def test_a_doctor_who_left_is_not_invited_to_later_meetings(w, doctors):
    left_on = timezone.localdate() - dt.timedelta(days=30)
    participation = Participation.objects.get(doctor=doctors[5], cluster=w.cluster_a)
    registry.participation_end(actor=None, participation=participation, end=left_on)
    assert doctors[5] not in selectors.invited_doctors(meeting(w, evening(10)))
    assert doctors[5] in selectors.invited_doctors(meeting(w, evening(-60)))


def test_the_meeting_role_resolver(w, doctors):
    users = w.users
    ordinary = meeting(w, evening(10))
    roles = selectors.user_meeting_roles
    assert roles(users["member_a"], ordinary) == {Role.MEMBER}
    assert roles(users["coordinator_a"], ordinary) == {Role.MEMBER, Role.COORDINATOR, Role.DATA}
    assert roles(users["board_a"], ordinary) == {Role.MEMBER, Role.BOARD}
    assert roles(users["region_a"], ordinary) == {Role.REGION}
    assert roles(users["member_b"], ordinary) == set()
    assert roles(users["region_other"], ordinary) == set()

    # The member hosting the meeting in turn owns it and may manage it, not approve it.
    hosted = meeting(w, evening(10), host_model="member", host=doctors[4])
    assert roles(users["member_a"], hosted) == {Role.MEMBER, Role.OWNER}
    assert has_perm(users["member_a"], "meetings.manage_meeting", hosted)
    assert not has_perm(users["member_a"], "meetings.manage_meeting", ordinary)
    assert not has_perm(users["member_a"], "meetings.approve_minutes", hosted)

    # Members of a joint meeting's guest clusters read it and answer like members.
    joint = meeting(w, evening(10), kind=MeetingKind.JOINT, guest_clusters=[w.cluster_b])
    assert roles(users["member_b"], joint) == {Role.MEMBER}
    assert has_perm(users["member_b"], "meetings.answer", joint)
    assert not has_perm(users["member_b"], "meetings.manage_meeting", joint)
    assert roles(users["doctor_free"], joint) == set()


def test_cluster_meetings_include_joint_meetings_as_a_guest(w):
    own_a = meeting(w, evening(10), title="A alene")
    joint = meeting(w, evening(12), kind=MeetingKind.JOINT, guest_clusters=[w.cluster_b])
    own_b = meeting(w, evening(14), cluster=w.cluster_b, title="B alene")
    assert set(selectors.cluster_meetings(cluster=w.cluster_a)) == {own_a, joint}
    assert set(selectors.cluster_meetings(cluster=w.cluster_b)) == {joint, own_b}


def test_meeting_date_is_the_local_day_or_today_while_undated(w):
    late = dt.datetime(2024, 6, 1, 23, 30, tzinfo=CPH)  # 21:30 UTC
    assert selectors.meeting_date(meeting(w, late)) == dt.date(2024, 6, 1)
    assert selectors.meeting_date(meeting(w)) == timezone.localdate()


# --- Carried actions --------------------------------------------------------------------


def test_open_actions_come_from_earlier_live_meetings_of_the_cluster(w):
    earlier = meeting(w, evening(-20), title="Tidligere")
    cancelled = meeting(w, evening(-10), title="Aflyst")
    later = meeting(w, evening(5), title="Senere")
    a1 = services.action_add(actor=None, meeting=earlier, text="Første", due=dt.date(2030, 1, 2))
    a2 = services.action_add(actor=None, meeting=earlier, text="Anden", due=dt.date(2030, 1, 1))
    services.action_add(actor=None, meeting=cancelled, text="Fra et aflyst møde")
    services.meeting_cancel(actor=None, meeting=cancelled)
    services.action_add(actor=None, meeting=later, text="Senere aktion")
    dropped = services.action_add(actor=None, meeting=earlier, text="Droppet")
    services.action_set_status(actor=None, action=dropped, status="dropped")

    assert selectors.open_actions(meeting=later) == [a2, a1]  # by due date
    # An undated meeting (a poll still open) takes the actions of meetings made before it.
    undated = meeting(w, title="Udateret")
    carried = selectors.open_actions(meeting=undated)
    # (Where an action without a due date sorts differs: first on SQLite, last on
    # PostgreSQL; see the report. Compared without order here.)
    assert sorted(a.text for a in carried) == ["Anden", "Første", "Senere aktion"]


# --- Attendance over a year -------------------------------------------------------------


@pytest.fixture
def last_year(w, doctors):
    """Last year in cluster A, under a 50 % attendance rule: two meetings that count,
    one board meeting, one cancelled and one without attendance that do not; doctor 5
    left in June (between the two)."""
    year = timezone.localdate().year - 1
    Statutes.objects.create(
        cluster=w.cluster_a, adopted=FOUNDED, attendance_min_percent=50, quorum_percent=50
    )
    march = meeting(w, on(dt.date(year, 3, 10)), title="Marts")
    september = meeting(w, on(dt.date(year, 9, 10)), title="September")
    board = meeting(w, on(dt.date(year, 5, 5)), kind=MeetingKind.BOARD, title="Bestyrelse")
    cancelled = meeting(w, on(dt.date(year, 4, 4)), title="Aflyst")
    meeting(w, on(dt.date(year, 10, 10)), title="Uden fremmøde")
    d = doctors
    services.attendance_record(
        actor=None,
        meeting=march,
        marks={
            **{x.pk: ("present", "") for x in d[:5]},
            d[5].pk: ("excused", "Kursus"),
        },
    )
    registry.participation_end(
        actor=None,
        participation=Participation.objects.get(doctor=d[5], cluster=w.cluster_a),
        end=dt.date(year, 6, 1),
    )
    services.attendance_record(
        actor=None,
        meeting=september,
        marks={**{x.pk: ("present", "") for x in d[:3]}, d[3].pk: ("absent", "")},
    )
    services.attendance_record(actor=None, meeting=board, marks={d[0].pk: ("present", "")})
    services.attendance_record(actor=None, meeting=cancelled, marks={d[0].pk: ("present", "")})
    services.meeting_cancel(actor=None, meeting=cancelled)
    return year, march, september


def test_the_year_lists_the_doctors_below_the_attendance_rule(w, doctors, last_year):
    year, march, september = last_year
    a = selectors.attendance_year(cluster=w.cluster_a, year=year)
    assert a.rule_percent == 50
    assert a.meetings == [march, september]
    rows = {r.name: r for r in a.doctors}
    d = doctors
    got = {n: (rows[n.name].present, rows[n.name].expected, rows[n.name].marks) for n in d}
    assert got == {
        d[0]: (2, 2, ["present", "present"]),
        d[1]: (2, 2, ["present", "present"]),
        d[2]: (2, 2, ["present", "present"]),
        d[3]: (1, 2, ["present", "absent"]),
        d[4]: (1, 2, ["present", "absent"]),  # not registered: absent
        d[5]: (0, 1, ["excused", ""]),  # excused is not present; gone by September
    }
    # Exactly at the rule is not below it.
    assert [r.name for r in a.below] == [d[5].name]
    assert [r.name for r in a.doctors] == [
        x.name for x in sorted(d, key=lambda x: (x.clinic.name, x.name))
    ]

    clinics = {r.name: (r.present, r.expected, r.below_rule) for r in a.clinics}
    names = [c.name for c in w.clinics_a]
    assert clinics == {
        names[0]: (4, 4, False),
        names[1]: (3, 4, False),
        names[2]: (1, 3, True),
    }


def test_without_statutes_no_one_is_below_a_rule(w, doctors):
    year = timezone.localdate().year - 1
    m = meeting(w, on(dt.date(year, 3, 10)))
    services.attendance_record(actor=None, meeting=m, marks={doctors[0].pk: ("present", "")})
    a = selectors.attendance_year(cluster=w.cluster_a, year=year)
    assert a.rule_percent is None and a.below == []
    assert sum(r.expected for r in a.doctors) == 6
    assert selectors.held_meetings(cluster=w.cluster_a, year=year) == [m]
    assert selectors.held_meetings(cluster=w.cluster_a, year=year - 1) == []


def test_held_meetings_leave_out_future_meetings(w, doctors):
    future = meeting(w, evening(1))
    services.attendance_record(actor=None, meeting=future, marks={doctors[0].pk: ("present", "")})
    year = timezone.localdate().year
    assert future not in selectors.held_meetings(cluster=w.cluster_a, year=year)


def test_counts_by_meeting(w, doctors, last_year):
    _year, march, september = last_year
    counts = selectors.counts_by_meeting([march, september])
    assert dict(counts[march.pk]) == {"present": 5, "excused": 1}
    assert dict(counts[september.pk]) == {"present": 3, "absent": 1}


def test_the_attendance_list_keeps_a_registered_doctor_who_left(w, doctors):
    m = meeting(w, evening(-10))
    services.attendance_record(actor=None, meeting=m, marks={doctors[5].pk: ("excused", "Syg")})
    # Registered as leaving before the meeting, after the attendance was taken.
    registry.participation_end(
        actor=None,
        participation=Participation.objects.get(doctor=doctors[5], cluster=w.cluster_a),
        end=timezone.localdate() - dt.timedelta(days=20),
    )
    assert doctors[5] not in selectors.invited_doctors(m)
    listed = dict(selectors.attendance_list(m))
    assert set(listed) == set(doctors)
    assert (listed[doctors[5]].status, listed[doctors[5]].reason) == ("excused", "Syg")
    assert listed[doctors[0]] is None


def test_quorum_at_a_general_assembly(w, doctors):
    Statutes.objects.create(cluster=w.cluster_a, adopted=FOUNDED, quorum_percent=50)
    # A later version of the statutes does not apply to an earlier assembly.
    Statutes.objects.create(
        cluster=w.cluster_a, adopted=timezone.localdate() + dt.timedelta(days=10), quorum_percent=90
    )
    ga = meeting(w, evening(-3), kind=MeetingKind.GENERAL_ASSEMBLY)
    assert selectors.quorum(ga) == (0, 6, 50, False)
    services.attendance_record(
        actor=None, meeting=ga, marks={d.pk: ("present", "") for d in doctors[:2]}
    )
    assert selectors.quorum(ga) == (2, 6, 50, False)
    services.attendance_record(actor=None, meeting=ga, marks={doctors[2].pk: ("present", "")})
    assert selectors.quorum(ga) == (3, 6, 50, True)

    later = meeting(w, evening(20), kind=MeetingKind.GENERAL_ASSEMBLY)
    assert selectors.quorum(later)[2] == 90

    free = meeting(w, evening(-3), cluster=w.cluster_b, kind=MeetingKind.GENERAL_ASSEMBLY)
    assert selectors.quorum(free) == (0, 4, None, None)


# --- Evaluations ------------------------------------------------------------------------


def test_evaluation_summaries_per_meeting_and_for_the_year(w, last_year):
    year, march, september = last_year
    users = [w.users[k] for k in ("member_a", "coordinator_a", "board_a")]
    for user, score in zip(users, (5, 4, 3), strict=True):
        services.evaluation_submit(
            user=user, meeting=march, relevance=score, learning=score, organisation=score
        )
    services.evaluation_submit(
        user=users[0], meeting=september, relevance=1, learning=1, organisation=1, comment="Nej"
    )
    by_meeting = dict(
        selectors.evaluations_by_meeting(selectors.held_meetings(cluster=w.cluster_a, year=year))
    )
    assert by_meeting[march].shown and by_meeting[march].relevance == 4.0
    assert not by_meeting[september].shown and by_meeting[september].comments == []
    # The year counts only meetings with enough answers of their own: September's lone
    # answer (and its comment) is neither pooled nor to be had by differencing.
    year_summary = selectors.evaluation_summary([march, september])
    assert (year_summary.answers, year_summary.counted, year_summary.withheld) == (4, 3, 1)
    assert year_summary.relevance == 4.0
    assert year_summary.comments == []
