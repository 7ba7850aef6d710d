"""Reading meetings: who is invited, what is open, how attendance and evaluations add up."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from klynge.core.dates import today
from klynge.core.permissions import Role
from klynge.meetings.models import (
    Action,
    Attendance,
    Dispatch,
    EvaluationReceipt,
    EvaluationResponse,
    Meeting,
    MeetingKind,
    MinutesVersion,
    PollAnswer,
    PollSlot,
    Rsvp,
)
from klynge.registry.models import Cluster, Doctor, Participation
from klynge.registry.selectors import user_cluster_roles

# Evaluations are shown only from this many answers, so no one's answer stands alone
# (DST's rule: at least three units behind any figure). `KLYNGE_MIN_RESPONDENTS` may
# raise it; `evaluation_min_answers()` is the value in force.
EVALUATION_MIN_ANSWERS = 3


def evaluation_min_answers() -> int:
    return int(getattr(settings, "KLYNGE_MIN_RESPONDENTS", EVALUATION_MIN_ANSWERS))


def user_meeting_roles(user, meeting: Meeting) -> set[Role]:
    """The permission engine's resolver: a meeting carries its cluster's roles; the
    member who hosts it in turn is its OWNER; members of the other clusters of a joint
    meeting read it and answer its poll like members. A network meeting carries its
    network's roles (support.networks: its members, its organisers)."""
    if meeting.cluster is None:
        from klynge.core.permissions import roles_for

        return set(roles_for(user, meeting.network))
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
    guest clusters) on the meeting's day; board meetings invite the board only. A network
    meeting invites the network's members on its day, read from the registry."""
    on = meeting_date(meeting)
    if meeting.network_id is not None:
        return network_doctors(meeting, on)
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


def network_doctors(meeting: Meeting, on: dt.date) -> list[Doctor]:
    """The members of the meeting's coordinator network on `on`, by name. Who is in a
    network is the support desk's rule (`support.networks.members`), asked here rather
    than copied, so a network meeting invites exactly whom the network's page lists."""
    from klynge.support.networks import members

    assert meeting.network is not None
    found = [m.doctor for m in members(region=meeting.network, on=on)]
    return sorted(found, key=lambda d: (d.name, d.pk))


def doctor_email(doctor: Doctor) -> str:
    return doctor.email or (doctor.user.email if doctor.user_id and doctor.user else "")


def open_actions(*, meeting: Meeting) -> list[Action]:
    """Open follow-up actions from the cluster's earlier meetings: they appear on this
    meeting's agenda by themselves until someone marks them done (MEET-2).

    A joint meeting is seen by the members of its guest clusters, in its invitation,
    on its pages, in its pack and minutes; the host cluster's own follow-up (who is to
    do what, often about a colleague) is not theirs to read. It takes up only the
    actions of earlier joint meetings of the same host with the same guest clusters:
    what those clusters agreed together."""
    # A network's meetings take up the network's earlier actions.
    host = Q(cluster=meeting.cluster) if meeting.cluster_id else Q(network=meeting.network_id)
    earlier = Meeting.objects.filter(host, cancelled_at__isnull=True).exclude(pk=meeting.pk)
    if meeting.starts:
        earlier = earlier.filter(starts__lt=meeting.starts)
    else:
        earlier = earlier.filter(created__lt=meeting.created)
    if meeting.kind == MeetingKind.JOINT:
        guests = set(meeting.guest_clusters.values_list("pk", flat=True))
        candidates = earlier.filter(kind=MeetingKind.JOINT).prefetch_related("guest_clusters")
        earlier = earlier.filter(
            pk__in=[m.pk for m in candidates if {c.pk for c in m.guest_clusters.all()} == guests]
        )
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
    announced: bool = False  # the members have been asked about this date
    collisions: list[Collision] = field(default_factory=list)  # filled by the poll page

    @property
    def score(self) -> tuple[int, int]:
        """Most who can come, then most who would rather (Loomio's order)."""
        return (self.yes + self.if_need_be, self.yes)


def poll_results(meeting: Meeting) -> list[SlotResult]:
    results = {
        s.pk: SlotResult(
            slot_id=s.pk, starts=s.starts, ends=s.ends, announced=s.announced_at is not None
        )
        for s in meeting.slots.all()
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


def poll_nonresponders(meeting: Meeting) -> list[Doctor]:
    """The doctors invited to `meeting` who have not answered its date poll (about
    any of its dates), by name."""
    answered = set(
        PollAnswer.objects.filter(slot__meeting=meeting).values_list("doctor_id", flat=True)
    )
    return [d for d in invited_doctors(meeting) if d.pk not in answered]


def poll_reminded_on(meeting: Meeting, day: dt.date) -> set[str]:
    """The addresses (lower case) sent a poll reminder for `meeting` on `day` (local)."""
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return {
        address.lower()
        for address in Dispatch.objects.filter(
            meeting=meeting,
            kind=Dispatch.Kind.POLL_REMINDER,
            created__gte=start,
            created__lt=start + dt.timedelta(days=1),
        ).values_list("recipient", flat=True)
    }


@dataclass
class NonResponder:
    doctor: Doctor
    email: str
    last_reminded: dt.datetime | None


def poll_nonresponders_with_reminders(meeting: Meeting) -> list[NonResponder]:
    """`poll_nonresponders` with each one's address and when they were last reminded,
    for the coordinator's list on the poll."""
    last: dict[str, dt.datetime] = {}
    for address, created in Dispatch.objects.filter(
        meeting=meeting, kind=Dispatch.Kind.POLL_REMINDER
    ).values_list("recipient", "created"):
        key = address.lower()
        if key not in last or created > last[key]:
            last[key] = created
    rows = []
    for doctor in poll_nonresponders(meeting):
        email = doctor_email(doctor)
        rows.append(NonResponder(doctor, email, last.get(email.lower()) if email else None))
    return rows


# A meeting without an end is taken to last this long when checking for collisions
# (the calendar file uses the same).
DEFAULT_LENGTH = dt.timedelta(hours=2)


@dataclass
class Collision:
    """Another meeting of the cluster on the same day as a proposed date, or
    overlapping it in time."""

    meeting: Meeting
    overlaps: bool  # in time; otherwise only the same day


def date_collisions(
    *, cluster: Cluster, starts: dt.datetime, ends: dt.datetime, exclude: Meeting | None = None
) -> list[Collision]:
    """The cluster's other meetings (its own and the joint meetings it is invited to,
    not cancelled) that fall on the same local day as `starts`–`ends` or overlap it."""
    zone = timezone.get_default_timezone()
    day = timezone.localtime(starts, zone).date()
    last_day = timezone.localtime(ends, zone).date()
    window_start = dt.datetime.combine(day, dt.time(0), tzinfo=zone) - DEFAULT_LENGTH
    window_end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    candidates = (
        cluster_meetings(cluster=cluster)
        .filter(cancelled_at__isnull=True, starts__lt=window_end, starts__gte=window_start)
        .order_by("starts")
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude.pk)
    found = []
    for other in candidates:
        assert other.starts is not None
        other_ends = other.ends or other.starts + DEFAULT_LENGTH
        overlaps = other.starts < ends and starts < other_ends
        other_day = timezone.localtime(other.starts, zone).date()
        if overlaps or day <= other_day <= last_day:
            found.append(Collision(meeting=other, overlaps=overlaps))
    return found


def poll_collisions(meeting: Meeting) -> dict[int, list[Collision]]:
    """For each date offered in `meeting`'s poll that collides with another meeting of
    the cluster, those meetings (slot id → collisions). A warning, not a refusal:
    two meetings on a day can be intended."""
    result: dict[int, list[Collision]] = {}
    if meeting.cluster is None:  # a network meeting: no cluster calendar to collide with
        return result
    for slot in PollSlot.objects.filter(meeting=meeting):
        found = date_collisions(
            cluster=meeting.cluster, starts=slot.starts, ends=slot.ends, exclude=meeting
        )
        if found:
            result[slot.pk] = found
    return result


# --- "I am coming / I am not coming" ----------------------------------------------------


@dataclass
class RsvpSummary:
    """Who said they will come to a meeting, who will not, and who has not answered
    (the invited doctors on the meeting's day), each list by name."""

    coming: list[tuple[Doctor, Rsvp]]
    not_coming: list[tuple[Doctor, Rsvp]]
    unanswered: list[Doctor]

    @property
    def invited(self) -> int:
        return len(self.coming) + len(self.not_coming) + len(self.unanswered)

    def of(self, doctor: Doctor | None) -> Rsvp | None:
        """`doctor`'s answer, if they gave one."""
        if doctor is None:
            return None
        for d, rsvp in [*self.coming, *self.not_coming]:
            if d.pk == doctor.pk:
                return rsvp
        return None

    def includes(self, doctor: Doctor) -> bool:
        """Whether `doctor` is invited (answered or not)."""
        return any(d.pk == doctor.pk for d in self.unanswered) or self.of(doctor) is not None

    def by_doctor(self) -> dict[int, Rsvp]:
        return {d.pk: rsvp for d, rsvp in [*self.coming, *self.not_coming]}


def rsvp_summary(meeting: Meeting) -> RsvpSummary:
    """The answers to "are you coming?" of the doctors invited to `meeting`. An answer
    from a doctor no longer invited (who left the cluster since) is not counted."""
    answers = {r.doctor_id: r for r in Rsvp.objects.filter(meeting=meeting)}
    summary = RsvpSummary(coming=[], not_coming=[], unanswered=[])
    for doctor in invited_doctors(meeting):
        rsvp = answers.get(doctor.pk)
        if rsvp is None:
            summary.unanswered.append(doctor)
        elif rsvp.coming:
            summary.coming.append((doctor, rsvp))
        else:
            summary.not_coming.append((doctor, rsvp))
    return summary


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
    excused absence counts as absence. No reasons: the grid is for every member."""
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


def sees_absence_reasons(user: Any, meeting: Meeting) -> bool:
    """Whether `user` may read why a doctor was absent ("Sygdom"): the host cluster's
    coordinator and board, and the secretariat, who register and follow up attendance.
    Not its members, not the member hosting the meeting in turn, not regional staff,
    not the members of a joint meeting's guest clusters."""
    from klynge.core.permissions import has_perm

    # A network meeting: its organisers (the network's roles on its region).
    return has_perm(user, "meetings.view_absence_reasons", meeting.cluster or meeting.network)


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
    statutes = statutes_on(cluster=meeting.own_cluster, on=meeting_date(meeting))
    required = statutes.quorum_percent if statutes else None
    met = None if required is None or not members else present * 100 >= required * members
    return present, members, required, met


# --- Evaluations ------------------------------------------------------------------------


@dataclass
class EvaluationSummary:
    """Evaluations of one meeting or of several (a year). A meeting's answers count only
    when it has at least `minimum` of its own: its scores and comments are shown then,
    and a summary of several meetings adds up only those meetings. Pooling small
    meetings would show answers that stand alone, and a year that took them in could
    be differenced against the meetings shown (or against the year before the answer
    came) to give the lone answer back."""

    answers: int  # every answer given, shown or not
    counted: int = 0  # the answers behind the figures: from meetings with enough
    meetings: int = 0  # meetings summarised
    withheld: int = 0  # of those, meetings with answers but too few to show
    minimum: int = EVALUATION_MIN_ANSWERS
    relevance: float | None = None
    learning: float | None = None
    organisation: float | None = None
    comments: list[tuple[str, int]] = field(default_factory=list)  # (text, how many)

    @property
    def shown(self) -> bool:
        return self.counted >= max(self.minimum, 1)

    @property
    def several(self) -> bool:
        return self.meetings > 1


def evaluation_summary(meetings: QuerySet[Meeting] | list[Meeting]) -> EvaluationSummary:
    """One summary of `meetings` (one meeting, or a year's), from the meetings that
    have enough answers each."""
    meetings = list(meetings)
    by_meeting = _responses_by_meeting(meetings)
    return _summarise([by_meeting[m.pk] for m in meetings])


def _responses_by_meeting(meetings: list[Meeting]) -> dict[int, list[EvaluationResponse]]:
    by_meeting: dict[int, list[EvaluationResponse]] = defaultdict(list)
    for response in EvaluationResponse.objects.filter(meeting__in=meetings):
        by_meeting[response.meeting_id].append(response)
    return by_meeting


def _summarise(per_meeting: list[list[EvaluationResponse]]) -> EvaluationSummary:
    """The summary of meetings given as their lists of answers. A meeting below the
    minimum adds its number of answers (so the page can say how many have answered)
    and nothing else."""
    minimum = evaluation_min_answers()
    summary = EvaluationSummary(
        answers=sum(len(r) for r in per_meeting), meetings=len(per_meeting), minimum=minimum
    )
    counted = [r for responses in per_meeting if len(responses) >= minimum for r in responses]
    summary.withheld = sum(1 for responses in per_meeting if 0 < len(responses) < minimum)
    summary.counted = len(counted)
    if not summary.shown:
        return summary
    for name in ("relevance", "learning", "organisation"):
        setattr(summary, name, sum(getattr(r, name) for r in counted) / len(counted))
    tally = Counter(r.comment.strip() for r in counted if r.comment.strip())
    summary.comments = sorted(tally.items(), key=lambda c: (-c[1], c[0]))
    return summary


def has_evaluated(meeting: Meeting, user: Any) -> bool:
    return bool(
        user.is_authenticated
        and EvaluationReceipt.objects.filter(meeting=meeting, user_id=user.pk).exists()
    )


def evaluations_by_meeting(meetings: list[Meeting]) -> list[tuple[Meeting, EvaluationSummary]]:
    """Each meeting's evaluation summary, from one query."""
    by_meeting = _responses_by_meeting(meetings)
    return [(m, _summarise([by_meeting[m.pk]])) for m in meetings]


def counts_by_meeting(meetings: list[Meeting]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for meeting_id, status in Attendance.objects.filter(meeting__in=meetings).values_list(
        "meeting_id", "status"
    ):
        counts[meeting_id][status] += 1
    return counts
