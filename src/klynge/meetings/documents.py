"""The documents a meeting produces: approved minutes, the attendance list, and the
yearly activity report, as PDF (WeasyPrint) and CSV. Rendered in Danish: they are
the cluster's records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from klynge.core.pdf import render_pdf
from klynge.meetings import selectors
from klynge.meetings.models import Attendance, Decision, Meeting, MinutesVersion
from klynge.registry.models import Cluster


@dataclass(frozen=True)
class NetworkHost:
    """Who a network meeting's documents are from, where a cluster's say its name."""

    name: str
    cvr: str = ""


def _host(meeting: Meeting) -> Any:
    return meeting.cluster or NetworkHost(meeting.organiser_name)


def _pdf(template: str, context: dict[str, Any]) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template, context)
    return render_pdf(html, author=context["cluster"].name)


def minutes_context(meeting: Meeting, version: MinutesVersion | None = None) -> dict[str, Any]:
    """The minutes, as every member reads them (the page and the approved PDF, which
    is filed in the cluster's archive): who was present, excused or absent, never why."""
    items = list(
        meeting.items.select_related("owner").prefetch_related("decisions", "actions__owner")
    )
    present: list[tuple[Any, Attendance]] = []
    absent: list[tuple[Any, Attendance]] = []
    excused: list[tuple[Any, Attendance]] = []
    for doctor, mark in selectors.attendance_list(meeting):
        if mark is None:
            continue
        {"present": present, "absent": absent, "excused": excused}[mark.status].append(
            (doctor, mark)
        )
    return {
        "meeting": meeting,
        "cluster": _host(meeting),
        "version": version,
        "items": items,
        "loose_decisions": list(meeting.decisions.filter(item__isnull=True)),
        "loose_actions": list(meeting.actions.filter(item__isnull=True).select_related("owner")),
        "carried": selectors.open_actions(meeting=meeting),
        "present": present,
        "absent": absent,
        "excused": excused,
        "guests": list(meeting.guests.all()),
        "elections": list(meeting.elections.select_related("doctor")),
        "generated": timezone.localtime(),
    }


def minutes_pdf(meeting: Meeting, version: MinutesVersion) -> bytes:
    return _pdf("meetings/pdf/minutes.html", minutes_context(meeting, version))


ATTENDANCE_CSV_HEADER = [_("Name"), _("Clinic"), _("Status")]
ABSENCE_REASON_HEADER = _("Reason for absence")


def attendance_rows(meeting: Meeting, *, reasons: bool = False) -> list[list[str]]:
    """The attendance list: every member and guest, for the CSV and the PDF. With
    `reasons` (only for those `selectors.sees_absence_reasons` lets read them) a fourth
    column says why a doctor sent their excuses; without, the column is not there."""
    rows = []
    for doctor, mark in selectors.attendance_list(meeting):
        status = mark.get_status_display() if mark else ""
        row = [doctor.name, doctor.clinic.name, str(status)]
        rows.append([*row, mark.reason if mark else ""] if reasons else row)
    for guest in meeting.guests.all():
        row = [guest.name, guest.organisation, str(guest.get_kind_display())]
        rows.append([*row, ""] if reasons else row)
    return rows


def attendance_pdf(meeting: Meeting, *, reasons: bool = False) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        rows = attendance_rows(meeting, reasons=reasons)
    return _pdf(
        "meetings/pdf/attendance.html",
        {
            "meeting": meeting,
            "cluster": _host(meeting),
            "rows": rows,
            "reasons": reasons,
            "generated": timezone.localtime(),
        },
    )


# --- The yearly activity report ---------------------------------------------------------


@dataclass
class ReportMeeting:
    meeting: Meeting
    present: int
    invited: int
    indicators: list[str]
    decisions: list[Decision]

    @property
    def share(self) -> float | None:
        return self.present / self.invited if self.invited else None


@dataclass
class ActivityReport:
    cluster: Cluster
    year: int
    meetings: list[ReportMeeting] = field(default_factory=list)
    themes: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    interventions: list[Any] = field(default_factory=list)
    attendance: selectors.AttendanceYear | None = None
    evaluation: selectors.EvaluationSummary | None = None
    actions_open: int = 0
    actions_done: int = 0

    @property
    def decisions(self) -> int:
        return sum(len(m.decisions) for m in self.meetings)

    @property
    def mean_share(self) -> float | None:
        shares = [m.share for m in self.meetings if m.share is not None]
        return sum(shares) / len(shares) if shares else None


def activity_report(*, cluster: Cluster, year: int) -> ActivityReport:
    """What the cluster owes the national secretariat for a year: meetings held with
    attendance, themes and indicators worked on, decisions and follow-up."""
    from klynge.meetings.models import Action
    from klynge.quality.models import Intervention

    held = selectors.held_meetings(cluster=cluster, year=year)
    counts = selectors.counts_by_meeting(held)
    report = ActivityReport(cluster=cluster, year=year)
    indicator_names: dict[str, str] = {}
    for meeting in held:
        names = [i.title for i in meeting.indicators.all()]
        for i in meeting.indicators.all():
            indicator_names[i.code] = i.title
        c = counts.get(meeting.pk, {})
        report.meetings.append(
            ReportMeeting(
                meeting=meeting,
                present=c.get(Attendance.Status.PRESENT, 0),
                invited=sum(c.values()),
                indicators=names,
                decisions=list(meeting.decisions.all()),
            )
        )
        report.themes.append(meeting.title)
    report.interventions = list(
        Intervention.objects.filter(cluster=cluster, date__year=year).select_related("indicator")
    )
    for intervention in report.interventions:
        indicator_names[intervention.indicator.code] = intervention.indicator.title
    report.indicators = sorted(indicator_names.values())
    report.attendance = selectors.attendance_year(cluster=cluster, year=year)
    report.evaluation = selectors.evaluation_summary(held)
    actions = Action.objects.filter(meeting__in=held)
    report.actions_open = actions.filter(status=Action.Status.OPEN).count()
    report.actions_done = actions.filter(status=Action.Status.DONE).count()
    return report


def activity_report_pdf(report: ActivityReport) -> bytes:
    return _pdf(
        "meetings/pdf/activity_report.html",
        {"r": report, "cluster": report.cluster, "generated": timezone.localtime()},
    )


ACTIVITY_CSV_HEADER = [
    _("Cluster"),
    _("Year"),
    _("Date"),
    _("Meeting"),
    _("Type"),
    _("Present"),
    _("Registered"),
    _("Attendance share"),
    _("Indicators"),
    _("Decisions"),
]


def activity_report_rows(report: ActivityReport) -> list[list[Any]]:
    rows = []
    for m in report.meetings:
        starts = m.meeting.starts
        rows.append(
            [
                report.cluster.name,
                report.year,
                timezone.localtime(starts).date() if starts else None,
                m.meeting.title,
                m.meeting.get_kind_display(),
                m.present,
                m.invited,
                round(m.share, 3) if m.share is not None else None,
                ", ".join(m.indicators),
                " | ".join(d.text.replace("\n", " ") for d in m.decisions),
            ]
        )
    return rows


def years_with_meetings(cluster: Cluster) -> list[int]:
    dates = Meeting.objects.filter(cluster=cluster, starts__isnull=False).datetimes(
        "starts", "year", order="DESC"
    )
    years = [d.year for d in dates]
    this = timezone.localdate().year
    return sorted(set(years) | {this}, reverse=True)
