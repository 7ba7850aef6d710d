"""The protected release: the one source of every quality figure published to someone
who is not entitled to identified data (docs/privacy.md).

Three rules make the published figures safe *in combination*, not one page at a time:

1. **Protected cells.** A clinic's count for one indicator and month is published only
   as `protect(count)` (midpoint-6 rounding, METHODS.md B: 0 stays 0, 1-6 become 3,
   7-12 become 9 …). Every published sum — a quarter, a year, the cluster, the region,
   the nation — is a sum of protected cells, never a protected sum. Whatever windows,
   end months and comparators a member combines, the most they can solve for is the
   protected cell itself, which stands for six possible counts.
2. **Dated contributors.** A cluster's month counts the clinics that were members with
   consent to *that* cluster in force on the month's last day. Joining, leaving and
   revoking later never rewrite a month already published, so before-minus-after
   reveals nothing.
3. **Comparators that reveal no one.** A region or nation figure for a month is shown
   only when the clinics it holds beyond the viewing cluster number at least
   `KLYNGE_COMPARATOR_MIN_REST` and enough of its expected clinics have reported
   (`KLYNGE_COVERAGE_MIN`); it carries its coverage ("42 af 51 klinikker").

Viewers entitled to identified data (they upload the files: the cluster's coordinator
or data person, the regional unit, the secretariat) see exact counts of their
cluster's clinics; their comparators are protected like everyone else's.

The trade-off: counts are exact only to the entitled; a member's figures carry
rounding noise of at most ±3 per clinic and month, which is small beside the
month-to-month variation the charts are about.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.db.models import Case, Count, F, IntegerField, Sum, Value, When

from klynge.quality.models import Consent, IndicatorValue
from klynge.quality.periods import add_months


def protect(count: int) -> int:
    """Midpoint-6 rounding: 0 → 0, 1-6 → 3, 7-12 → 9, …; the true value of a non-zero
    result r lies in r-2 … r+3. Deterministic, so repeating a query teaches nothing."""
    return 6 * ((count + 5) // 6) - (3 if count > 0 else 0)


def protect_array(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.int64)
    return 6 * ((counts + 5) // 6) - 3 * (counts > 0)


def protected_sql(name: str):
    """`protect(<name>)` as a database expression, so large sums (a region, the nation)
    add protected cells without fetching every row. Integer division on both
    PostgreSQL and SQLite."""
    return Case(
        When(**{f"{name}__gt": 0}, then=6 * ((F(name) + 5) / 6) - 3),
        default=Value(0),
        output_field=IntegerField(),
    )


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def months_in(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


# --- Who counts in which month -----------------------------------------------------------------


@dataclass
class Contributors:
    """A cluster's clinics month by month (dated), and which of them may be shown as
    points today: a clinic that withdrew its consent is never shown again."""

    months: list[dt.date]
    by_month: dict[dt.date, frozenset[int]]
    withdrawn: frozenset[int] = field(default_factory=frozenset)

    def in_window(self, first: dt.date, last: dt.date) -> set[int]:
        return set().union(*(self.by_month[m] for m in self.months if first <= m <= last))

    def shown_in_window(self, first: dt.date, last: dt.date) -> set[int]:
        return self.in_window(first, last) - self.withdrawn

    def window(self, first: dt.date, last: dt.date) -> Contributors:
        """The same facts for the months `first`..`last` (which must lie within)."""
        months = [m for m in self.months if first <= m <= last]
        if not months or months[0] != first or months[-1] != last:
            raise ValueError("the window lies outside the months read")
        return Contributors(months, {m: self.by_month[m] for m in months}, self.withdrawn)


def cluster_contributors(*, cluster, first: dt.date, last: dt.date) -> Contributors:
    from klynge.registry.models import Membership

    months = months_in(first, last)
    end = month_end(last)
    memberships = list(
        Membership.objects.filter(cluster=cluster)
        .overlapping(first, end + dt.timedelta(days=1))
        .values_list("clinic_id", "start", "end")
    )
    consents = list(
        Consent.objects.filter(cluster=cluster)
        .overlapping(first, end + dt.timedelta(days=1))
        .values_list("clinic_id", "start", "end")
    )

    def spans_by_clinic(rows):
        spans: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
        for clinic_id, start, until in rows:
            spans[clinic_id].append((start, until))
        return spans

    member_spans, consent_spans = spans_by_clinic(memberships), spans_by_clinic(consents)

    def active(spans, day):
        return any(s <= day and (e is None or day < e) for s, e in spans)

    by_month = {}
    clinic_ids = set(member_spans) & set(consent_spans)
    for month in months:
        day = month_end(month)
        by_month[month] = frozenset(
            c for c in clinic_ids if active(member_spans[c], day) and active(consent_spans[c], day)
        )
    # Withdrawn: the clinic's latest consent to this cluster was revoked.
    latest: dict[int, dt.date | None] = {}
    for clinic_id, _start, revoked in (
        Consent.objects.filter(cluster=cluster, clinic_id__in=clinic_ids)
        .order_by("start")
        .values_list("clinic_id", "start", "revoked")
    ):
        latest[clinic_id] = revoked
    withdrawn = frozenset(c for c, revoked in latest.items() if revoked is not None)
    return Contributors(months, by_month, withdrawn)


# --- Cells -------------------------------------------------------------------------------------------


Cells = dict[tuple[int, dt.date], tuple[int, int]]


def clinic_cells(
    *, indicator, clinic_ids, first: dt.date, last: dt.date, exact: bool = False
) -> Cells:
    """(clinic, month) → (numerator, denominator), protected unless `exact`."""
    rows = IndicatorValue.objects.filter(
        indicator=indicator,
        period_kind="M",
        period__gte=first,
        period__lte=last,
        clinic_id__in=list(clinic_ids),
    ).values_list("clinic_id", "period", "numerator", "denominator")
    if exact:
        return {(c, p): (n, d) for c, p, n, d in rows}
    return {(c, p): (protect(n), protect(d)) for c, p, n, d in rows}


def clinic_cells_by_indicator(
    *, indicator_ids, clinic_ids, first: dt.date, last: dt.date, exact: bool = False
) -> dict[int, Cells]:
    """`clinic_cells` of several indicators in one read: indicator → its cells."""
    rows = IndicatorValue.objects.filter(
        indicator_id__in=list(indicator_ids),
        period_kind="M",
        period__gte=first,
        period__lte=last,
        clinic_id__in=list(clinic_ids),
    ).values_list("indicator_id", "clinic_id", "period", "numerator", "denominator")
    out: dict[int, Cells] = {pk: {} for pk in indicator_ids}
    for indicator_id, c, p, n, d in rows:
        out[indicator_id][(c, p)] = (n, d) if exact else (protect(n), protect(d))
    return out


def window_sums(
    cells: Cells, contributors: Contributors, first: dt.date, last: dt.date
) -> dict[int, tuple[int, int]]:
    """Each contributing clinic's sum over the months of the window it contributed to."""
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for month in contributors.months:
        if not first <= month <= last:
            continue
        for clinic_id in contributors.by_month[month]:
            n, d = cells.get((clinic_id, month), (0, 0))
            s = sums[clinic_id]
            s[0] += n
            s[1] += d
    return {c: (s[0], s[1]) for c, s in sums.items()}


def monthly_totals(cells: Cells, contributors: Contributors) -> list[tuple[int, int, int]]:
    """The cluster per month: (numerator, denominator, clinics that reported)."""
    out = []
    for month in contributors.months:
        n = d = reported = 0
        for clinic_id in contributors.by_month[month]:
            cell = cells.get((clinic_id, month))
            if cell is not None:
                n, d, reported = n + cell[0], d + cell[1], reported + 1
        out.append((n, d, reported))
    return out


# --- Comparators: regions and the nation ---------------------------------------------------------


@dataclass
class AreaMonths:
    """An area's protected monthly sums and coverage: clinics that reported, of the
    area's registered clinics."""

    label: str
    months: list[dt.date]
    numerators: list[int]
    denominators: list[int]
    reported: list[int]
    expected: list[int]


def area_months(*, indicator, label: str, first: dt.date, last: dt.date, **filters) -> AreaMonths:
    """Σ protect(cell) per month over the area's clinics (`filters` on IndicatorValue,
    e.g. `clinic__municipality__in=<the region's municipalities on a date>`; none for the
    nation)."""
    from klynge.registry.models import Clinic

    months = months_in(first, last)
    rows = (
        IndicatorValue.objects.filter(
            indicator=indicator, period_kind="M", period__gte=first, period__lte=last, **filters
        )
        .values("period")
        .annotate(
            n=Sum(protected_sql("numerator")),
            d=Sum(protected_sql("denominator")),
            k=Count("clinic_id"),
        )
    )
    by_month = {r["period"]: (r["n"] or 0, r["d"] or 0, r["k"]) for r in rows}
    # Expected: every registered clinic of the area (the clinics a regional unit or the
    # secretariat would chase for data), so "reported" can never exceed it.
    expected_clinics = Clinic.objects.filter(
        **{name.removeprefix("clinic__"): value for name, value in filters.items()}
    ).count()
    expected = [expected_clinics] * len(months)
    return AreaMonths(
        label,
        months,
        [by_month.get(m, (0, 0, 0))[0] for m in months],
        [by_month.get(m, (0, 0, 0))[1] for m in months],
        [by_month.get(m, (0, 0, 0))[2] for m in months],
        expected,
    )


def coverage_ok(reported: int, expected: int) -> bool:
    if reported == 0:
        return False
    return expected == 0 or reported / expected >= settings.KLYNGE_COVERAGE_MIN


def comparator_month_shown(
    *, area_reported: int, area_expected: int, cluster_reported: int
) -> bool:
    """May the area's figure for a month be shown beside a cluster that reported
    `cluster_reported` clinics? Only if the rest holds enough clinics that area minus
    cluster isolates no one, and the area is covered well enough to mean something."""
    rest = area_reported - cluster_reported
    return rest >= settings.KLYNGE_COMPARATOR_MIN_REST and coverage_ok(area_reported, area_expected)
