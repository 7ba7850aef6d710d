"""Reading meetings: who is invited, what is open, how attendance and evaluations add up."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from klynge.core.permissions import Role
from klynge.meetings.models import (
    Action,
    Attendance,
    EvaluationReceipt,
    EvaluationResponse,
    Meeting,
    MeetingKind,
    MinutesVersion,
    PollAnswer,
)
from klynge.registry.models import Cluster, Doctor, Participation
from klynge.registry.selectors import today, user_cluster_roles

# Evaluations are shown only from this many answers, so no one's answer stands alone.
EVALUATION_MIN_ANSWERS = 3


def user_meeting_roles(user, meeting: Meeting) -> set[Role]:
    """The permission engine's resolver: a meeting carries its cluster's roles; the
    member who hosts it in turn is its OWNER; members of the other clusters of a joint
    meeting read it and answer its poll like members."""
    roles = user_cluster_roles(user, meeting.cluster)
    if meeting.host_id and meeting.host is not None and meeting.host.user_id == user.pk:
        roles.add(Role.OWNER)
    if (
        Role.MEMBER not in roles
        and meeting.kind == MeetingKind.JOINT
        and Participation.objects.active_on(today())
        .filter(doctor__user=user, cluster__in=meeting.guest_clusters.all())
        .exists()
    ):
        roles.add(Role.MEMBER)
    return roles


def cluster_meetings(*, cluster: Cluster) -> QuerySet[Meeting]:
    """The cluster's own meetings and joint meetings it was invited to."""
    return (
        Meeting.objects.filter(Q(cluster=cluster) | Q(guest_clusters=cluster))
        .distinct()
        .select_related("cluster", "host")
    )


def meeting_date(meeting: Meeting) -> dt.date:
    """The day membership is read on: the meeting's day, or today while undated."""
    return timezone.localtime(meeting.starts).date() if meeting.starts else today()


def invited_doctors(meeting: Meeting) -> list[Doctor]:
    """Every doctor taking part in the meeting's cluster (and, for a joint meeting, the
    guest clusters) on the meeting's day; board meetings invite the board only."""
    on = meeting_date(meeting)
    clusters = [meeting.cluster_id]
    if meeting.kind == MeetingKind.JOINT:
        clusters += list(meeting.guest_clusters.values_list("pk", flat=True))
    doctors = Doctor.objects.filter(
        participations__in=Participation.objects.active_on(on).filter(cluster_id__in=clusters)
    )
    if meeting.kind == MeetingKind.BOARD:
        from klynge.registry.models import BOARD_ROLES, RoleAssignment

        board = RoleAssignment.objects.active_on(on).filter(
            cluster_id=meeting.cluster_id, role__in=[*BOARD_ROLES, "coordinator"]
        )
        doctors = doctors.filter(roles__in=board)
    return list(doctors.select_related("clinic", "user").distinct().order_by("name"))


def doctor_email(doctor: Doctor) -> str:
    return doctor.email or (doctor.user.email if doctor.user_id and doctor.user else "")


def open_actions(*, meeting: Meeting) -> list[Action]:
    """Open follow-up actions from the cluster's earlier meetings: they appear on this
    meeting's agenda by themselves until someone marks them done (MEET-2)."""
    earlier = Meeting.objects.filter(cluster=meeting.cluster, cancelled_at__isnull=True).exclude(
        pk=meeting.pk
    )
    if meeting.starts:
        earlier = earlier.filter(starts__lt=meeting.starts)
    else:
        earlier = earlier.filter(created__lt=meeting.created)
    return list(
        Action.objects.filter(meeting__in=earlier, status=Action.Status.OPEN)
        .select_related("owner", "meeting")
        .order_by(F("due").asc(nulls_last=True), "id")
    )


def current_minutes(meeting: Meeting) -> MinutesVersion | None:
    return meeting.minutes.order_by("-number").first()


def minutes_locked(meeting: Meeting) -> bool:
    latest = current_minutes(meeting)
    return latest is not None and latest.status == MinutesVersion.Status.APPROVED


# --- Date poll --------------------------------------------------------------------------


@dataclass
class SlotResult:
    slot_id: int
    starts: dt.datetime
    ends: dt.datetime
    yes: int = 0
    if_need_be: int = 0
    no: int = 0
    best: bool = False

    @property
    def score(self) -> tuple[int, int]:
        """Most who can come, then most who would rather (Loomio's order)."""
        return (self.yes + self.if_need_be, self.yes)


def poll_results(meeting: Meeting) -> list[SlotResult]:
    results = {
        s.pk: SlotResult(slot_id=s.pk, starts=s.starts, ends=s.ends) for s in meeting.slots.all()
    }
    for slot_id, answer in PollAnswer.objects.filter(slot__meeting=meeting).values_list(
        "slot_id", "answer"
    ):
        result = results[slot_id]
        setattr(result, answer, getattr(result, answer) + 1)
    ordered = list(results.values())
    if ordered and any(r.yes + r.if_need_be for r in ordered):
        max(ordered, key=lambda r: r.score).best = True
    return ordered


def poll_answers_of(meeting: Meeting, doctor: Doctor | None) -> dict[int, str]:
    if doctor is None:
        return {}
    return dict(
        PollAnswer.objects.filter(slot__meeting=meeting, doctor=doctor).values_list(
            "slot_id", "answer"
        )
    )


def poll_respondents(meeting: Meeting) -> int:
    return PollAnswer.objects.filter(slot__meeting=meeting).values("doctor").distinct().count()


# --- Attendance -------------------------------------------------------------------------


def held_meetings(*, cluster: Cluster, year: int) -> list[Meeting]:
    """Meetings of the year that count for the attendance rule: held (begun, not
    cancelled), with attendance registered; board meetings do not count."""
    now = timezone.now()
    return list(
        Meeting.objects.filter(
            cluster=cluster,
            starts__year=year,
            starts__lte=now,
            cancelled_at__isnull=True,
            attendance__isnull=False,
        )
        .exclude(kind=MeetingKind.BOARD)
        .distinct()
        .order_by("starts")
        .prefetch_related("indicators", "decisions")
    )


@dataclass
class AttendanceRow:
    name: str
    clinic: str
    marks: list[str] = field(default_factory=list)  # per meeting: present/absent/excused/""
    present: int = 0
    expected: int = 0
    below_rule: bool = False

    @property
    def share(self) -> float | None:
        return self.present / self.expected if self.expected else None


@dataclass
class AttendanceYear:
    year: int
    meetings: list[Meeting]
    doctors: list[AttendanceRow]
    clinics: list[AttendanceRow]
    rule_percent: int | None

    @property
    def below(self) -> list[AttendanceRow]:
        return [r for r in self.doctors if r.below_rule]


def attendance_year(*, cluster: Cluster, year: int) -> AttendanceYear:
    """Every doctor and clinic of the year against the statutes' attendance rule
    (GOV-5, MEET-3). A doctor is expected at the meetings held while taking part;
    excused absence counts as absence, its reason is shown."""
    from klynge.governance.selectors import statutes_on

    meetings = held_meetings(cluster=cluster, year=year)
    statutes = statutes_on(cluster=cluster, on=dt.date(year, 12, 31))
    rule = statutes.attendance_min_percent if statutes else None
    marks = {
        (a.meeting_id, a.doctor_id): a.status
        for a in Attendance.objects.filter(meeting__in=meetings)
    }
    participations = (
        Participation.objects.filter(cluster=cluster)
        .overlapping(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))
        .select_related("doctor__clinic")
    )
    by_doctor: dict[int, AttendanceRow] = {}
    by_clinic: dict[str, AttendanceRow] = {}
    for p in participations:
        doctor = p.doctor
        row = by_doctor.setdefault(
            doctor.pk, AttendanceRow(name=doctor.name, clinic=doctor.clinic.name)
        )
        row.marks = row.marks or [""] * len(meetings)
        for i, meeting in enumerate(meetings):
            day = meeting_date(meeting)
            if p.start <= day and (p.end is None or day < p.end):
                status = marks.get((meeting.pk, doctor.pk), Attendance.Status.ABSENT)
                row.marks[i] = status
                row.expected += 1
                row.present += status == Attendance.Status.PRESENT
    for row in by_doctor.values():
        clinic_row = by_clinic.setdefault(
            row.clinic, AttendanceRow(name=row.clinic, clinic=row.clinic)
        )
        clinic_row.present += row.present
        clinic_row.expected += row.expected
    for row in [*by_doctor.values(), *by_clinic.values()]:
        share = row.share
        row.below_rule = rule is not None and share is not None and share * 100 < rule
    return AttendanceYear(
        year=year,
        meetings=meetings,
        doctors=sorted(by_doctor.values(), key=lambda r: (r.clinic, r.name)),
        clinics=sorted(by_clinic.values(), key=lambda r: r.name),
        rule_percent=rule,
    )


def attendance_list(meeting: Meeting) -> list[tuple[Doctor, Attendance | None]]:
    """The invited doctors with what was registered for each."""
    registered = {a.doctor_id: a for a in meeting.attendance.all()}
    doctors = invited_doctors(meeting)
    known = {d.pk for d in doctors}
    extra = Doctor.objects.filter(pk__in=set(registered) - known).select_related("clinic")
    return [(d, registered.get(d.pk)) for d in [*doctors, *extra]]


def quorum(meeting: Meeting) -> tuple[int, int, int | None, bool | None]:
    """(present, members, required percent, met) for a general assembly."""
    from klynge.governance.selectors import statutes_on

    members = len(invited_doctors(meeting))
    present = meeting.attendance.filter(status=Attendance.Status.PRESENT).count()
    statutes = statutes_on(cluster=meeting.cluster, on=meeting_date(meeting))
    required = statutes.quorum_percent if statutes else None
    met = None if required is None or not members else present * 100 >= required * members
    return present, members, required, met


# --- Evaluations ------------------------------------------------------------------------


@dataclass
class EvaluationSummary:
    answers: int
    relevance: float | None = None
    learning: float | None = None
    organisation: float | None = None
    comments: list[tuple[str, int]] = field(default_factory=list)  # (text, how many)

    @property
    def shown(self) -> bool:
        return self.answers >= EVALUATION_MIN_ANSWERS


def evaluation_summary(meetings: QuerySet[Meeting] | list[Meeting]) -> EvaluationSummary:
    return _summarise(list(EvaluationResponse.objects.filter(meeting__in=meetings)))


def _summarise(responses: list[EvaluationResponse]) -> EvaluationSummary:
    summary = EvaluationSummary(answers=len(responses))
    if not summary.shown:
        return summary
    for name in ("relevance", "learning", "organisation"):
        setattr(summary, name, sum(getattr(r, name) for r in responses) / len(responses))
    counted = Counter(r.comment.strip() for r in responses if r.comment.strip())
    summary.comments = sorted(counted.items(), key=lambda c: (-c[1], c[0]))
    return summary


def has_evaluated(meeting: Meeting, user: Any) -> bool:
    return bool(
        user.is_authenticated
        and EvaluationReceipt.objects.filter(meeting=meeting, user_id=user.pk).exists()
    )


def evaluations_by_meeting(meetings: list[Meeting]) -> list[tuple[Meeting, EvaluationSummary]]:
    """Each meeting's evaluation summary, from one query."""
    by_meeting: dict[int, list[EvaluationResponse]] = defaultdict(list)
    for response in EvaluationResponse.objects.filter(meeting__in=meetings):
        by_meeting[response.meeting_id].append(response)
    return [(m, _summarise(by_meeting[m.pk])) for m in meetings]


def counts_by_meeting(meetings: list[Meeting]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for meeting_id, status in Attendance.objects.filter(meeting__in=meetings).values_list(
        "meeting_id", "status"
    ):
        counts[meeting_id][status] += 1
    return counts
