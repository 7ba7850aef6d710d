"""Programme dashboards (KNOW-5): national for the secretariat, regional for each unit,
as of any date. Every figure is computed from the records (nothing is typed in) and
comes with its rows, which are the figure's CSV.

The figures, for the clusters of the region as it stood on `on` (every cluster for the
nation), in the calendar year of `on` unless said otherwise:

- clusters: active on `on`; coverage: GPs and clinics in a cluster on `on`;
- incomplete registrations: active clusters whose registration was not complete on `on`;
- grants: the year's grants, paid by `on` (payouts dated up to `on`, less reversals),
  and due on `on` (due from a date up to `on`, not yet paid by then);
- meetings held: per quarter up to `on`, with attendance (present of registered);
- indicators worked on: at the meetings held;
- packages adopted: data orders made with a package in the year up to `on`;
- data orders open on `on` (ordered, not delivered or declined by then) and overdue;
- inquiries in the queue on `on` (received, not yet decided);
- courses: the year's sessions, seats and seats taken on `on` (national);
- activity reports for the year before `on`'s, received by `on`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klynge.core.formatting import format_number
from klynge.registry.models import Cluster, Region
from klynge.registry.selectors import coverage, in_region, registration_checklist


def _end_of(on: dt.date) -> dt.datetime:
    """The last instant of `on` (local time): records made that day count."""
    return timezone.make_aware(dt.datetime.combine(on + dt.timedelta(days=1), dt.time()))


@dataclass
class Figure:
    key: str
    label: Any
    value: Any  # an int, a Decimal (kroner) or a float (a share)
    kind: str = "count"  # count | money | share
    detail: str = ""
    header: list[Any] = field(default_factory=list)
    rows: list[list[Any]] = field(default_factory=list)


@dataclass
class Dashboard:
    on: dt.date
    region: Region | None
    figures: dict[str, Figure] = field(default_factory=dict)
    quarters: list[tuple[int, int, int, int]] = field(
        default_factory=list
    )  # q, held, present, registered
    # Coverage by area for the chart: the regions (national) or the region's
    # municipalities (a region's dashboard), as `registry.selectors.CoverageRow`s.
    areas: list[Any] = field(default_factory=list)

    def add(self, figure: Figure) -> None:
        self.figures[figure.key] = figure

    def __getitem__(self, key: str) -> Figure:
        return self.figures[key]


def _clusters(on: dt.date, region: Region | None):
    qs = Cluster.objects.active_on(on).select_related("municipality")  # type: ignore[attr-defined]
    if region is not None:
        qs = qs.filter(in_region(region, on))
    return qs.order_by("name", "id")


def _year_clusters(year: int, on: dt.date, region: Region | None):
    qs = Cluster.objects.filter(founded__lte=min(on, dt.date(year, 12, 31))).exclude(
        dissolved__lt=dt.date(year, 1, 1)
    )
    if region is not None:
        qs = qs.filter(in_region(region, on))
    return qs.order_by("name", "id")


def build(*, on: dt.date, region: Region | None, grant_rows: list[Any] | None = None) -> Dashboard:
    """The dashboard as of `on`. `grant_rows`: the year's rows when the caller already
    has them (the start page reads them once for its sections)."""
    board = Dashboard(on=on, region=region)
    active = list(_clusters(on, region))
    ids = [c.pk for c in active]
    _registry(board, active)
    _grants(board, grant_rows)
    _meetings(board, ids)
    _orders(board, ids)
    _inquiries(board)
    _courses(board)
    _reports(board)
    return board


def _registry(board: Dashboard, active: list[Cluster]) -> None:
    on, region = board.on, board.region
    board.add(
        Figure(
            "clusters",
            gettext_lazy("Clusters"),
            len(active),
            header=[_("Cluster"), _("Municipality"), _("Founded"), _("Registration completed")],
            rows=[
                [c.name, c.municipality.name, c.founded, c.registration_completed] for c in active
            ],
        )
    )
    cov = coverage(on=on, region=region.pk if region else None)
    head = next((r for r in cov.regions if region and r.code == region.code), cov.national)
    board.areas = list(cov.municipalities if region else cov.regions)
    municipalities = [
        [m.name, m.doctors, m.doctors_in_cluster, m.clinics, m.clinics_in_cluster]
        for m in cov.municipalities
    ]
    cov_header = [
        _("Municipality"),
        _("GPs"),
        _("GPs in a cluster"),
        _("Clinics"),
        _("Clinics in a cluster"),
    ]
    board.add(
        Figure(
            "doctor_share",
            gettext_lazy("GPs in a cluster"),
            head.doctor_share,
            kind="share",
            detail=f"{format_number(head.doctors_in_cluster)} / {format_number(head.doctors)}",
            header=cov_header,
            rows=municipalities,
        )
    )
    board.add(
        Figure(
            "clinic_share",
            gettext_lazy("Clinics in a cluster"),
            head.clinic_share,
            kind="share",
            detail=f"{format_number(head.clinics_in_cluster)} / {format_number(head.clinics)}",
            header=cov_header,
            rows=municipalities,
        )
    )
    incomplete = [
        c for c in active if c.registration_completed is None or c.registration_completed > on
    ]
    board.add(
        Figure(
            "incomplete",
            gettext_lazy("Registrations incomplete"),
            len(incomplete),
            header=[_("Cluster"), _("Registered"), _("Missing")],
            rows=[
                [
                    c.name,
                    c.registered,
                    ", ".join(
                        str(i.label) for i in registration_checklist(cluster=c, on=on) if not i.done
                    ),
                ]
                for c in incomplete
            ],
        )
    )


def _grants(board: Dashboard, given: list[Any] | None = None) -> None:
    from klynge.finance.models import Payout
    from klynge.finance.selectors import grant_rows

    on, region = board.on, board.region
    rows = given
    if rows is None:
        try:
            rows = grant_rows(year=on.year, region=region.pk if region else None, on=on)
        except ValueError:  # no scheme in force
            rows = []
    paid = dict(
        Payout.objects.filter(
            year=on.year, paid_on__lte=on, cluster__in=[r.cluster.pk for r in rows]
        )
        .values("cluster_id")
        .annotate(total=Sum("amount"))
        .values_list("cluster_id", "total")
    )
    zero = Decimal("0")
    table = []
    total = paid_sum = due_sum = zero
    for row in rows:
        if row.cluster.founded > on:
            continue
        got = paid.get(row.cluster.pk) or zero
        due_on = row.due_on(on.year)
        dissolved = row.cluster.dissolved is not None and row.cluster.dissolved <= on
        due = (
            max(row.grant.total - got, zero)
            if due_on is not None and due_on <= on and not dissolved
            else zero
        )
        total += row.grant.total
        paid_sum += got
        due_sum += due
        table.append([row.cluster.name, row.grant.total, due_on, got, due])
    header = [_("Cluster"), _("Grant (kr.)"), _("Due from"), _("Paid (kr.)"), _("Due now (kr.)")]
    for key, label, value in (
        ("grants_total", gettext_lazy("Grants for the year"), total),
        ("grants_paid", gettext_lazy("Grants paid"), paid_sum),
        ("grants_due", gettext_lazy("Grants due, not paid"), due_sum),
    ):
        board.add(Figure(key, label, value, kind="money", header=header, rows=table))


def _meetings(board: Dashboard, cluster_ids: list[int]) -> None:
    from klynge.meetings.models import Attendance, Meeting, MeetingKind

    on = board.on
    held = list(
        Meeting.objects.filter(
            cluster_id__in=cluster_ids,
            starts__gte=timezone.make_aware(dt.datetime(on.year, 1, 1)),
            starts__lt=_end_of(on),
            cancelled_at__isnull=True,
            attendance__isnull=False,
        )
        .exclude(kind=MeetingKind.BOARD)
        .distinct()
        .select_related("cluster")
        .prefetch_related("indicators")
        .order_by("starts", "id")
    )
    marks: dict[int, Counter] = defaultdict(Counter)
    for meeting_id, status in Attendance.objects.filter(meeting__in=held).values_list(
        "meeting_id", "status"
    ):
        marks[meeting_id][status] += 1
    per_quarter = {q: [0, 0, 0] for q in range(1, 5)}
    rows: list[list[Any]] = []
    indicators: dict[str, list[Any]] = {}
    present_all = registered_all = 0
    for m in held:
        day = timezone.localtime(m.starts).date()
        q = (day.month - 1) // 3 + 1
        present = marks[m.pk][Attendance.Status.PRESENT]
        registered = sum(marks[m.pk].values())
        per_quarter[q][0] += 1
        per_quarter[q][1] += present
        per_quarter[q][2] += registered
        present_all += present
        registered_all += registered
        rows.append([m.own_cluster.name, day, f"K{q}", m.title, present, registered])
        for ind in m.indicators.all():
            entry = indicators.setdefault(ind.code, [ind.title, 0, set()])
            entry[1] += 1
            entry[2].add(m.own_cluster.name)
    board.quarters = [
        (q, per_quarter[q][0], per_quarter[q][1], per_quarter[q][2])
        for q in range(1, 5)
        if q <= (on.month - 1) // 3 + 1
    ]
    header = [_("Cluster"), _("Date"), _("Quarter"), _("Meeting"), _("Present"), _("Registered")]
    board.add(
        Figure(
            "meetings_held",
            gettext_lazy("Meetings held this year"),
            len(held),
            header=header,
            rows=rows,
        )
    )
    board.add(
        Figure(
            "attendance",
            gettext_lazy("Attendance at meetings held"),
            present_all / registered_all if registered_all else None,
            kind="share",
            detail=f"{format_number(present_all)} / {format_number(registered_all)}",
            header=header,
            rows=rows,
        )
    )
    board.add(
        Figure(
            "indicators",
            gettext_lazy("Indicators worked on"),
            len(indicators),
            header=[_("Indicator"), _("Meetings"), _("Clusters")],
            rows=[
                [title, n, ", ".join(sorted(clusters))]
                for title, n, clusters in sorted(indicators.values(), key=lambda e: e[0])
            ],
        )
    )


def _orders(board: Dashboard, cluster_ids: list[int]) -> None:
    from klynge.dataorders.models import DataOrder, OrderStatus

    on = board.on
    orders = list(
        DataOrder.objects.filter(cluster_id__in=cluster_ids, ordered_on__lte=on)
        .select_related("cluster", "package__package")
        .order_by("ordered_on", "id")
    )
    adopted = [o for o in orders if o.package is not None and o.ordered_on.year == on.year]
    board.add(
        Figure(
            "packages_adopted",
            gettext_lazy("Packages adopted this year"),
            len(adopted),
            header=[_("Cluster"), _("Package"), _("Ordered on")],
            rows=[
                [o.cluster.name, str(o.package.package if o.package else ""), o.ordered_on]
                for o in adopted
            ],
        )
    )

    def open_on(o: DataOrder) -> bool:
        if o.status == OrderStatus.DECLINED:
            return False  # when it was declined is not recorded: declined counts as closed
        return o.delivered_at is None or timezone.localtime(o.delivered_at).date() > on

    still_open = [o for o in orders if open_on(o)]
    overdue = [o for o in still_open if o.due < on]
    header = [_("Order"), _("Cluster"), _("Ordered on"), _("Due"), _("Overdue")]
    rows = [[o.pk, o.cluster.name, o.ordered_on, o.due, o.due < on] for o in still_open]
    board.add(
        Figure(
            "orders_open",
            gettext_lazy("Data orders open"),
            len(still_open),
            header=header,
            rows=rows,
        )
    )
    board.add(
        Figure(
            "orders_overdue",
            gettext_lazy("Data orders overdue"),
            len(overdue),
            header=header,
            rows=[r for r in rows if r[4]],
        )
    )


def _inquiries(board: Dashboard) -> None:
    from klynge.support.models import Inquiry

    on, region = board.on, board.region
    end = _end_of(on)
    qs = Inquiry.objects.filter(created__lt=end).filter(
        Q(decided__isnull=True) | Q(decided__gte=end)
    )
    if region is not None:
        qs = qs.filter(region=region)
    queue = list(qs.order_by("created", "id"))
    board.add(
        Figure(
            "inquiries_queue",
            gettext_lazy("Inquiries in the queue"),
            len(queue),
            header=[_("Organisation"), _("Type"), _("Group"), _("Received")],
            rows=[
                [
                    i.organisation,
                    i.get_kind_display(),
                    i.group,
                    timezone.localtime(i.created).date(),
                ]
                for i in queue
            ],
        )
    )


def _courses(board: Dashboard) -> None:
    from klynge.support.models import Booking, CourseSession

    on = board.on
    end = _end_of(on)
    sessions = list(
        CourseSession.objects.filter(starts__year=on.year, cancelled=False)
        .select_related("course")
        .order_by("starts", "id")
    )
    taken = Counter(
        Booking.objects.filter(session__in=sessions, created__lt=end)
        .filter(Q(cancelled__isnull=True) | Q(cancelled__gte=end))
        .values_list("session_id", flat=True)
    )
    seats = sum(s.seats for s in sessions)
    booked = sum(min(taken[s.pk], s.seats) for s in sessions)
    board.add(
        Figure(
            "courses_filled",
            gettext_lazy("Course seats taken"),
            booked / seats if seats else None,
            kind="share",
            detail=f"{format_number(booked)} / {format_number(seats)}",
            header=[_("Course"), _("Starts"), _("Seats"), _("Taken")],
            rows=[
                [s.course.title, timezone.localtime(s.starts).date(), s.seats, taken[s.pk]]
                for s in sessions
            ],
        )
    )


def _reports(board: Dashboard) -> None:
    from klynge.support.models import ReportSubmission

    on, region = board.on, board.region
    year = on.year - 1
    clusters = list(_year_clusters(year, on, region))
    sent = dict(
        ReportSubmission.objects.filter(
            year=year, cluster__in=[c.pk for c in clusters], submitted__lt=_end_of(on)
        ).values_list("cluster_id", "submitted")
    )
    board.add(
        Figure(
            "reports_received",
            gettext_lazy("Activity reports received"),
            len(sent),
            detail=f"{format_number(len(sent))} / {format_number(len(clusters))}",
            header=[_("Cluster"), _("Year"), _("Received")],
            rows=[
                [c.name, year, timezone.localtime(sent[c.pk]).date() if c.pk in sent else None]
                for c in clusters
            ],
        )
    )
