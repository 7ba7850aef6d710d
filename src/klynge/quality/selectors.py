"""Reads of quality data: benchmarks, time series for run and control charts, and
dashboards — every figure drawn from the protected release (`klynge.quality.release`,
`docs/privacy.md`).

Who sees what (DATA-3, DATA-4, PLAT-1):
* A cluster's month counts the clinics that were members with consent to the cluster
  in force on the month's last day; its value is Σ numerator / Σ denominator over them
  (never a mean of ratios).
* Viewers entitled to identified data (the cluster's coordinator and data person, the
  regional unit, the secretariat: they upload the files) see their cluster's clinics by
  name with exact counts. Everyone else sees protected counts (midpoint-6 rounding of
  every clinic-month cell, sums of protected cells), clinics as pseudonyms drawn afresh
  for every cluster, indicator and day, and their own clinic's exact figures.
* Published counts that are small (1-4 at the default threshold, read from the
  protected values so the hiding itself says nothing more) are hidden; a month of the
  cluster needs at least `KLYNGE_MIN_CLINICS` clinics, and clinic points need as many.
* Region and nation figures are shown only when they cannot be differenced down to a
  clinic (`release.comparator_month_shown`), with their coverage.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import string
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from klynge.core.dates import today
from klynge.core.permissions import has_perm
from klynge.quality import release, stats
from klynge.quality.models import (
    ClusterDataSettings,
    Consent,
    Goal,
    ImportRun,
    Indicator,
    IndicatorValue,
    Intervention,
    Presentation,
)
from klynge.quality.periods import add_months
from klynge.registry.models import Clinic, Cluster, Doctor, Membership
from klynge.registry.selectors import (
    cluster_memberships_on,
    municipalities_in,
    region_of,
    staff_region_code,
)

# --- Caching of aggregates over many clinics ----------------------------------------------------


def data_version() -> str:
    """Changes whenever stored values change: every write goes through an `ImportRun`
    (file imports, the demo generator) and every undo stamps one."""
    agg = ImportRun.objects.aggregate(n=Count("id"), finished=Max("finished"), undone=Max("undone"))
    return f"{agg['n']}:{agg['finished']}:{agg['undone']}"


def cached(name: str, key: tuple, compute, *, version: str | None = None):
    """Regional and national aggregates (tens of thousands of rows each) are the same
    for every viewer until the data change, so they are cached per data version (pass
    `version` when it has been read already)."""
    version = version if version is not None else data_version()
    digest = hashlib.sha256(repr((name, key, version)).encode()).hexdigest()[:32]
    cache_key = f"quality:{name}:{digest}"
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, timeout=6 * 3600)
    return value


# --- Who is shown -------------------------------------------------------------------------


def consenting_clinic_ids(*, cluster: Cluster, clinic_ids: Iterable[int], on: dt.date) -> set[int]:
    """The clinics among `clinic_ids` with consent to `cluster` in force on `on`."""
    return set(
        Consent.objects.active_on(on)
        .filter(cluster=cluster, clinic_id__in=list(clinic_ids))
        .values_list("clinic_id", flat=True)
    )


def clinics_without_consent(*, cluster: Cluster, on: dt.date) -> list[Clinic]:
    """Who has not consented: for the coordinator's eyes only (`quality.view_consents`)."""
    members = [m.clinic for m in cluster_memberships_on(cluster=cluster, on=on)]
    consenting = consenting_clinic_ids(cluster=cluster, clinic_ids=[c.pk for c in members], on=on)
    return [c for c in members if c.pk not in consenting]


def presentation_of(cluster: Cluster) -> str:
    data_settings = ClusterDataSettings.objects.filter(cluster=cluster).first()
    return data_settings.presentation if data_settings else Presentation.ANONYMISED


def viewer_clinic_id(user) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Doctor.objects.filter(user=user).values_list("clinic_id", flat=True).first()


def sees_identified(user, cluster: Cluster) -> bool:
    """Entitled to the cluster's identified data (names, exact counts): those who
    upload its files. Everyone else sees the protected release."""
    return user is not None and has_perm(user, "quality.view_identified", cluster)


def pseudonyms(*, clinic_ids: list[int], salt: str) -> dict[int, str]:
    """ "Klinik A", "Klinik B", … in an order fixed by a keyed hash of (salt, clinic):
    stable within one presentation, unrelated between presentations."""
    key = settings.SECRET_KEY.encode()

    def rank(clinic_id: int) -> bytes:
        return hmac.new(key, f"{salt}:{clinic_id}".encode(), hashlib.sha256).digest()

    letters = string.ascii_uppercase
    labels = {}
    for i, clinic_id in enumerate(sorted(clinic_ids, key=rank)):
        letter = letters[i] if i < 26 else letters[i // 26 - 1] + letters[i % 26]
        labels[clinic_id] = _("Clinic %(letter)s") % {"letter": letter}
    return labels


def small(numerator: int, denominator: int, *, rate: bool, exact: bool = False) -> bool:
    """Is a published count small enough to hide? Decided on the published (protected)
    values, so hiding a cell tells nothing its protected value does not. Exact values
    (the entitled viewer, a clinic's own data) are never hidden."""
    if exact:
        return False
    limit = release.protect(settings.KLYNGE_SUPPRESSION_THRESHOLD - 1)
    if 0 < numerator <= limit or 0 < denominator <= limit:
        return True
    # The complement ("all but a few"): protected values that meet say 100 %.
    return not rate and numerator > 0 and denominator - numerator <= limit


# --- Benchmark --------------------------------------------------------------------------------


@dataclass
class Point:
    label: str
    own: bool
    numerator: int | None  # None when hidden
    denominator: int | None
    value: float | None  # the ratio (share 0-1 or events per patient); None if hidden or 0/0
    hidden: bool = False
    outside_998: bool = False
    # `denominator` is the mean of the point's size class, not its own (see `size_classes`)
    size_class: bool = False

    @property
    def count(self) -> float:
        """The numerator the funnel classifies: the point's own, or for a point in a
        size class its published value at the class's size."""
        if self.numerator is not None:
            return self.numerator
        return (self.value or 0.0) * (self.denominator or 0)


@dataclass
class Level:
    label: str
    numerator: int | None
    denominator: int | None
    reported: int | None = None  # clinics that reported for the period …
    expected: int | None = None  # … of the clinics expected to
    withheld: bool = False  # not shown: it could be differenced down to a clinic

    @property
    def value(self) -> float | None:
        if not self.denominator or self.numerator is None:
            return None
        return self.numerator / self.denominator


@dataclass
class Benchmark:
    indicator: Indicator
    cluster: Cluster
    first: dt.date
    last: dt.date
    points: list[Point]
    cluster_level: Level
    region_level: Level
    nation_level: Level
    presentation: str
    without_consent: int
    threshold: int
    tau2: float = 0.0
    own_without_consent: bool = False
    targets: dict[str, Level] = field(default_factory=dict)
    identified: bool = False  # the viewer sees names and exact counts (entitled)
    points_withheld: bool = False  # too few clinics to show any as a point
    size_classes: bool = False  # pseudonyms drawn at their size class (`size_classes`)
    class_min: int = 3  # clinics in a size class at least


def area_months(
    *, indicator: Indicator, region=None, first: dt.date, last: dt.date, version: str | None = None
):
    """A region's (or, with `region=None`, the nation's) protected months and coverage,
    cached per data version: the same for every viewer."""
    if region is None:
        return cached(
            "nation_months",
            (indicator.pk, first, last, get_language()),
            lambda: release.area_months(
                indicator=indicator, label=_("Denmark"), first=first, last=last
            ),
            version=version,
        )
    return cached(
        "region_months",
        (indicator.pk, region.pk, first, last),
        lambda: release.area_months(
            indicator=indicator,
            label=region.name,
            first=first,
            last=last,
            clinic__municipality__in=municipalities_in(region, _inside_validity(region, last)),
        ),
        version=version,
    )


def _inside_validity(region, on: dt.date) -> dt.date:
    """`on`, moved inside the region's validity (its last day, or its first): a window
    that ends after a merged region ended still compares with that region's clinics."""
    if region.end is not None and on >= region.end:
        return region.end - dt.timedelta(days=1)
    if region.start is not None and on < region.start:
        return region.start
    return on


def comparator_level(area, *, first: dt.date, last: dt.date, cluster_reported: list[int]) -> Level:
    """The area's window (months `first`..`last` of `area`), withheld when any of its
    months could be differenced down to a clinic or is too thinly covered: a window
    minus its shown months would reveal the withheld one."""
    index = [i for i, m in enumerate(area.months) if first <= m <= last]
    ok = bool(index) and all(
        release.comparator_month_shown(
            area_reported=area.reported[i],
            area_expected=area.expected[i],
            cluster_reported=cluster_reported[k],
        )
        for k, i in enumerate(index)
    )
    reported, expected = area.reported[index[-1]], area.expected[index[-1]]
    if not ok:
        return Level(area.label, None, None, reported, expected, withheld=True)
    return Level(
        area.label,
        sum(area.numerators[i] for i in index),
        sum(area.denominators[i] for i in index),
        reported,
        expected,
    )


def benchmark(
    *,
    viewer,
    cluster: Cluster,
    indicator: Indicator,
    last: dt.date,
    months: int = 3,
    on: dt.date | None = None,
    salt: str | None = None,
    anonymised: bool = False,
    contributors: release.Contributors | None = None,
    clinics: bool = True,
) -> Benchmark:
    """Every shown clinic of `cluster` for `indicator`, summed over the `months` months
    ending with `last`, with the cluster, region and national values. `anonymised`
    publishes as to an outsider whatever the viewer and the cluster's setting (the
    meeting pack, which is projected, printed and forwarded). Without `clinics` (the
    dashboard reads only the levels) pseudonyms are not put in size classes."""
    on = on or today()
    first = add_months(last, -(months - 1))
    threshold = settings.KLYNGE_SUPPRESSION_THRESHOLD
    rate = indicator.is_rate
    contributors = (
        contributors.window(first, last)
        if contributors is not None
        else release.cluster_contributors(cluster=cluster, first=first, last=last)
    )
    identified = not anonymised and sees_identified(viewer, cluster)
    member_ids = [m.clinic_id for m in cluster_memberships_on(cluster=cluster, on=on)]
    own = None if anonymised else viewer_clinic_id(viewer)
    own = own if own in member_ids else None
    in_window = contributors.in_window(first, last)
    cells = release.clinic_cells(
        indicator=indicator, clinic_ids=in_window, first=first, last=last, exact=identified
    )
    sums = release.window_sums(cells, contributors, first, last)
    totals = release.monthly_totals(cells, contributors)

    presentation = presentation_of(cluster)
    consenting_today = consenting_clinic_ids(cluster=cluster, clinic_ids=member_ids, on=on)
    open_mode = (
        not anonymised and presentation == Presentation.OPEN and consenting_today == set(member_ids)
    )
    shown = sorted(contributors.shown_in_window(first, last) - {own})
    withdrawn = in_window & contributors.withdrawn
    min_clinics = settings.KLYNGE_MIN_CLINICS
    points_withheld = not identified and (
        0 < len(withdrawn) < min_clinics or len(shown) + (own is not None) < min_clinics
    )
    # Every member of the window's last month is a row, shown or hidden: a row that
    # is missing would say which member has not consented (the members page has the
    # join dates), so a member without a point is a hidden row like a small count.
    members_then = set(
        Membership.objects.filter(cluster=cluster)
        .active_on(release.month_end(last))
        .values_list("clinic_id", flat=True)
    )
    placeholders = [] if identified else sorted(members_then - set(shown) - {own})
    labels = (
        {c.pk: c.name for c in Clinic.objects.filter(pk__in=shown)}
        if open_mode or identified
        else pseudonyms(
            clinic_ids=shown + placeholders,
            salt=salt or f"{cluster.pk}:{indicator.pk}:{on.isoformat()}",
        )
    )
    points = []
    classed = clinics and not (identified or open_mode)
    if not points_withheld:
        visible = {
            clinic_id: sums.get(clinic_id, (0, 0))
            for clinic_id in shown
            if not small(*sums.get(clinic_id, (0, 0)), rate=rate, exact=identified)
        }
        classes = (
            class_sizes(
                {c: d for c, (_n, d) in visible.items()},
                size_classes(cluster=cluster, indicator=indicator, on=on),
            )
            if classed
            else {}
        )
        for clinic_id in shown:
            n, d = visible.get(clinic_id, (0, 0))
            if clinic_id not in visible or (classed and clinic_id not in classes):
                points.append(Point(labels[clinic_id], False, None, None, None, hidden=True))
            elif classed:
                # Two significant digits (`VALUE_DIGITS`): a ratio printed in full
                # is a fraction that gives back its numerator and denominator, and
                # values over overlapping windows weigh their months by their
                # denominators, which gives the size back from four digits on
                # (tests/privacy: the weights attack).
                value = float(f"{n / d:.{VALUE_DIGITS}g}") if d else None
                size = classes[clinic_id]
                points.append(Point(labels[clinic_id], False, None, size, value, size_class=True))
            else:
                points.append(Point(labels[clinic_id], False, n, d, n / d if d else None))
        for clinic_id in placeholders:
            label = labels.get(clinic_id, _("Clinic"))
            points.append(Point(label, False, None, None, None, hidden=True))
    if own is not None:
        own_cells = release.clinic_cells(
            indicator=indicator, clinic_ids=[own], first=first, last=last, exact=True
        )
        n = sum(v[0] for v in own_cells.values())
        d = sum(v[1] for v in own_cells.values())
        points.append(Point(_("Your clinic"), True, n, d, n / d if d else None))
    points.sort(key=lambda p: (not p.own, p.label))

    cluster_level = _cluster_level(
        cluster, totals, expected=len(members_then), identified=identified, rate=rate
    )
    all_reported = [t[2] for t in totals]
    region = region_of(cluster.municipality_id, last)  # the region in force at the window's end
    region_area = area_months(indicator=indicator, region=region, first=first, last=last)
    nation_area = area_months(indicator=indicator, first=first, last=last)
    region_level = comparator_level(
        region_area, first=first, last=last, cluster_reported=all_reported
    )
    nation_level = comparator_level(
        nation_area, first=first, last=last, cluster_reported=all_reported
    )
    result = Benchmark(
        indicator=indicator,
        cluster=cluster,
        first=first,
        last=last,
        points=points,
        cluster_level=cluster_level,
        region_level=region_level,
        nation_level=nation_level,
        presentation="open" if open_mode else Presentation.ANONYMISED,
        without_consent=len(set(member_ids) - consenting_today),
        threshold=threshold,
        own_without_consent=own is not None and own not in consenting_today,
        identified=identified,
        points_withheld=points_withheld,
        size_classes=classed,
        class_min=settings.KLYNGE_MIN_CLINICS,
    )
    result.targets = {"cluster": cluster_level, "region": region_level, "nation": nation_level}
    return result


VALUE_DIGITS = 2  # significant digits of a pseudonym's value in a size class


def _cluster_level(
    cluster: Cluster,
    totals: list[tuple[int, int, int]],
    *,
    expected: int,
    identified: bool,
    rate: bool,
) -> Level:
    """The cluster over a window from its monthly totals: withheld when a month has fewer
    than `KLYNGE_MIN_CLINICS` reporting clinics or the published sum is small. `expected`
    counts the members, not the contributors: that would count consents."""
    n = sum(t[0] for t in totals)
    d = sum(t[1] for t in totals)
    reported = [t[2] for t in totals]
    too_few = not identified and min(reported, default=0) < settings.KLYNGE_MIN_CLINICS
    hidden = too_few or small(n, d, rate=rate, exact=identified)
    return Level(
        cluster.name,
        None if hidden else n,
        None if hidden else d,
        reported[-1] if reported else 0,
        expected,
        withheld=hidden,
    )


def size_classes(*, cluster: Cluster, indicator: Indicator, on: dt.date) -> list[list[int]]:
    """The cluster's clinics in classes of at least `KLYNGE_MIN_CLINICS` of similar size,
    smallest first: the clinics that contributed in the twelve months before `on`'s month,
    ranked by their protected denominators over those months. Fixed for the day whatever
    window is asked for, and by dated contributors, not by today's members, so comparing
    windows, end months, hidden points or a change of membership today never places a
    pseudonym more finely than its class. Cached for the day and the data version: any
    partition into classes of k is safe, and one that holds all day is the most stable."""
    return cached(
        "size_classes",
        (cluster.pk, indicator.pk, on.isoformat()),
        lambda: _size_classes(cluster=cluster, indicator=indicator, on=on),
    )


def _size_classes(*, cluster: Cluster, indicator: Indicator, on: dt.date) -> list[list[int]]:
    current = dt.date(on.year, on.month, 1)
    first, last = add_months(current, -12), add_months(current, -1)
    contributors = release.cluster_contributors(cluster=cluster, first=first, last=last)
    sizes: dict[int, int] = dict.fromkeys(contributors.in_window(first, last), 0)
    cells = release.clinic_cells(indicator=indicator, clinic_ids=sizes, first=first, last=last)
    for (clinic_id, month), (_n, d) in cells.items():
        if clinic_id in contributors.by_month[month]:
            sizes[clinic_id] += d
    # Ties (clinics without data) in the day's pseudonym order, not in the order of ids.
    tie = pseudonyms(clinic_ids=list(sizes), salt=f"size:{cluster.pk}:{on.isoformat()}")
    ranked = sorted(sizes, key=lambda c: (sizes[c], tie[c]))
    k = settings.KLYNGE_MIN_CLINICS
    parts = np.array_split(np.array(ranked, dtype=int), max(1, len(ranked) // k))
    return [[int(c) for c in part] for part in parts if len(part)]


def class_sizes(denominators: dict[int, int], classes: list[list[int]]) -> dict[int, int]:
    """Each shown clinic's published size: the mean denominator of the shown clinics in
    its class. A class with fewer than `KLYNGE_MIN_CLINICS` shown clinics joins its
    smaller neighbour (clinics outside every class, who have left since, form one class of
    their own at the end). No class to join: no sizes, and the points are hidden."""
    k = settings.KLYNGE_MIN_CLINICS
    known = {c for members in classes for c in members}
    blocks = [[c for c in members if c in denominators] for members in classes]
    blocks.append(sorted(c for c in denominators if c not in known))
    blocks = [b for b in blocks if b]
    while len(blocks) > 1:
        few = next((i for i, b in enumerate(blocks) if len(b) < k), None)
        if few is None:
            break
        if few == 0:
            other = 1
        elif few == len(blocks) - 1:
            other = few - 1
        else:
            other = few - 1 if len(blocks[few - 1]) <= len(blocks[few + 1]) else few + 1
        low, high = sorted((few, other))
        blocks[low : high + 1] = [blocks[low] + blocks[high]]
    if not blocks or len(blocks[0]) < k:
        return {}
    return {
        c: round(sum(denominators[m] for m in block) / len(block))
        for block in blocks
        for c in block
    }


def national_level(*, indicator: Indicator, first: dt.date, last: dt.date) -> Level:
    """The nation's protected window beside one clinic's own data (the doctor's page):
    the rest of the nation is always large, but coverage still applies."""
    area = area_months(indicator=indicator, first=first, last=last)
    return comparator_level(area, first=first, last=last, cluster_reported=[1] * len(area.months))


def national_overdispersion(
    *, indicator: Indicator, first: dt.date, last: dt.date, target: float
) -> stats.Overdispersion:
    """τ² estimated over every clinic in the nation (a cluster is too small)."""
    return cached(
        "overdispersion",
        (indicator.pk, first, last, round(target, 12)),
        lambda: _national_overdispersion(indicator, first, last, target),
    )


def _national_overdispersion(
    indicator: Indicator, first: dt.date, last: dt.date, target: float
) -> stats.Overdispersion:
    rows = (
        IndicatorValue.objects.filter(
            indicator=indicator, period_kind="M", period__gte=first, period__lte=last
        )
        .values("clinic_id")
        # Protected cells: even a chart's limits are published figures.
        .annotate(
            n=Sum(release.protected_sql("numerator")), d=Sum(release.protected_sql("denominator"))
        )
    )
    nums = np.array([r["n"] for r in rows], dtype=float)
    dens = np.array([r["d"] for r in rows], dtype=float)
    kind = stats.RATE if indicator.is_rate else stats.PROPORTION
    return stats.overdispersion(nums, dens, target, kind=kind)


# --- Time series -----------------------------------------------------------------------------------


@dataclass
class Series:
    label: str
    months: list[dt.date]
    numerators: list[int]
    denominators: list[int]
    shown: list[bool] | None = None  # None: every month may be shown
    reported: list[int] | None = None
    expected: list[int] | None = None

    @property
    def values(self) -> list[float | None]:
        shown = self.shown or [True] * len(self.months)
        return [
            n / d if d and ok else None
            for n, d, ok in zip(self.numerators, self.denominators, shown, strict=True)
        ]


def monthly_series(
    *, indicator: Indicator, label: str, first: dt.date, last: dt.date, **filters
) -> Series:
    """Exact monthly sums over the clinics in `filters`: only for data the viewer is
    entitled to in full (their own clinic)."""
    rows = (
        IndicatorValue.objects.filter(
            indicator=indicator, period_kind="M", period__gte=first, period__lte=last, **filters
        )
        .values("period")
        .annotate(n=Sum("numerator"), d=Sum("denominator"))
        .order_by("period")
    )
    by_month = {r["period"]: (r["n"], r["d"]) for r in rows}
    months = release.months_in(first, last)
    return Series(
        label,
        months,
        [by_month.get(m, (0, 0))[0] for m in months],
        [by_month.get(m, (0, 0))[1] for m in months],
    )


def comparator_series(
    *, indicator: Indicator, region=None, first: dt.date, last: dt.date, cluster_reported: list[int]
) -> Series:
    """A region's (or the nation's) protected months beside a cluster: a month is drawn
    only when it passes `release.comparator_month_shown`."""
    area = area_months(indicator=indicator, region=region, first=first, last=last)
    shown = [
        release.comparator_month_shown(
            area_reported=area.reported[i],
            area_expected=area.expected[i],
            cluster_reported=cluster_reported[i] if i < len(cluster_reported) else 0,
        )
        for i in range(len(area.months))
    ]
    # A withheld month carries no counts at all: a P′ chart's limits at a month depend
    # on its denominator, so even the limits would publish it.
    return Series(
        area.label,
        area.months,
        [n if ok else 0 for n, ok in zip(area.numerators, shown, strict=True)],
        [d if ok else 0 for d, ok in zip(area.denominators, shown, strict=True)],
        shown,
        area.reported,
        area.expected,
    )


def latest_month(indicator: Indicator | None = None) -> dt.date | None:
    """The newest month anyone has data for (the import pages; never a default period
    of a cluster's view: see `cluster_latest_month`)."""

    def query() -> dt.date | None:
        qs = IndicatorValue.objects.filter(period_kind="M")
        if indicator is not None:
            qs = qs.filter(indicator=indicator)
        return qs.order_by("-period").values_list("period", flat=True).first()

    return cached("latest_month", (indicator.pk if indicator else None,), query)


def clinic_latest_month(*, clinic_id: int) -> dt.date | None:
    """A clinic's own newest month of data: another clinic's early upload never moves
    "Din klinik"."""
    return (
        IndicatorValue.objects.filter(
            indicator_id__in=list(
                Indicator.objects.filter(active=True).values_list("pk", flat=True)
            ),
            clinic_id=clinic_id,
            period_kind="M",
        )
        .order_by("-period")
        .values_list("period", flat=True)
        .first()
    )


LOOKBACK_MONTHS = 36


def cluster_latest_months(*, cluster: Cluster, on: dt.date | None = None) -> dict[int, dt.date]:
    """Each indicator's default period for `cluster`: its own latest *complete* month
    (enough of that month's contributors have reported, `KLYNGE_COVERAGE_MIN`), so one
    region's early upload never moves another cluster's view. Falls back to the
    cluster's latest month with any data."""
    on = on or today()
    current = dt.date(on.year, on.month, 1)
    first = add_months(current, -LOOKBACK_MONTHS)
    contributors = release.cluster_contributors(cluster=cluster, first=first, last=current)
    if not contributors.in_window(first, current):
        return {}
    indicator_ids = list(Indicator.objects.filter(active=True).values_list("pk", flat=True))
    # The answer depends on who contributed in which month and on the stored values
    # only, never on the viewer: cached per data version under both (a membership or a
    # consent that changes the contributors changes the key).
    who = tuple((m, tuple(sorted(contributors.by_month[m]))) for m in contributors.months)
    return cached(
        "cluster_latest_months",
        (cluster.pk, first, current, tuple(indicator_ids), who),
        lambda: _cluster_latest_months(contributors, indicator_ids, first, current),
    )


def _cluster_latest_months(
    contributors: release.Contributors, indicator_ids: list[int], first: dt.date, current: dt.date
) -> dict[int, dt.date]:
    clinic_ids = contributors.in_window(first, current)
    # The key leads with the indicator: naming them lets the database seek the
    # cluster's clinics within each indicator instead of scanning every value. Clinics
    # that contributed in every month are counted by the database; the few that did
    # not (joined, left, consented late) are checked month by month.
    always = set.intersection(*(set(contributors.by_month[m]) for m in contributors.months))
    sometimes = clinic_ids - always
    values = IndicatorValue.objects.filter(
        indicator_id__in=indicator_ids, period_kind="M", period__gte=first, period__lte=current
    )
    reported: dict[tuple[int, dt.date], int] = {}
    if always:
        for row in (
            values.filter(clinic_id__in=always)
            .values("indicator_id", "period")
            .annotate(k=Count("clinic_id"))
        ):
            reported[(row["indicator_id"], row["period"])] = row["k"]
    for indicator_id, period, clinic_id in values.filter(clinic_id__in=sometimes).values_list(
        "indicator_id", "period", "clinic_id"
    ):
        if clinic_id in contributors.by_month.get(period, ()):
            reported[(indicator_id, period)] = reported.get((indicator_id, period), 0) + 1
    latest: dict[int, dt.date] = {}
    fallback: dict[int, dt.date] = {}
    for (indicator_id, period), count in sorted(reported.items(), key=lambda kv: kv[0][1]):
        fallback[indicator_id] = period
        if release.coverage_ok(count, len(contributors.by_month[period])):
            latest[indicator_id] = period
    return {**fallback, **latest}


def cluster_latest_month(*, cluster: Cluster, indicator: Indicator) -> dt.date | None:
    return cluster_latest_months(cluster=cluster).get(indicator.pk)


@dataclass
class Trend:
    series: Series
    analysis: stats.RunsAnalysis
    baseline: int | None
    interventions: list[Intervention]
    goal: Goal | None
    hidden_months: list[dt.date]
    identified: bool = False


def cluster_trend(
    *,
    cluster: Cluster,
    indicator: Indicator,
    first: dt.date,
    last: dt.date,
    on: dt.date | None = None,
    viewer=None,
    identified: bool | None = None,
    contributors: release.Contributors | None = None,
    cells: release.Cells | None = None,
    context: tuple[list[Intervention], Goal | None] | None = None,
) -> Trend:
    """The cluster's monthly values from the release (exact for an entitled viewer),
    with the runs analysis against a baseline frozen before the first intervention.

    A month is hidden when fewer than `KLYNGE_MIN_CLINICS` clinics reported for it or
    its published counts are small. The dashboard passes what it read for every
    indicator at once: `cells` (as the viewer may see them, covering the window) and
    `context` (the interventions and the goal)."""
    if identified is None:
        identified = sees_identified(viewer, cluster)
    contributors = (
        contributors.window(first, last)
        if contributors is not None
        else release.cluster_contributors(cluster=cluster, first=first, last=last)
    )
    if cells is None:
        cells = release.clinic_cells(
            indicator=indicator,
            clinic_ids=contributors.in_window(first, last),
            first=first,
            last=last,
            exact=identified,
        )
    totals = release.monthly_totals(cells, contributors)
    min_clinics = 1 if identified else settings.KLYNGE_MIN_CLINICS
    shown = [
        k >= min_clinics and not small(n, d, rate=indicator.is_rate, exact=identified)
        for n, d, k in totals
    ]
    series = Series(
        cluster.name,
        contributors.months,
        [t[0] for t in totals],
        [t[1] for t in totals],
        shown,
        [t[2] for t in totals],
        [len(contributors.by_month[m]) for m in contributors.months],
    )
    trend = _trend(series, cluster=cluster, indicator=indicator, context=context)
    trend.identified = identified
    return trend


def clinic_trend(
    *, clinic_id: int, cluster: Cluster | None, indicator: Indicator, first: dt.date, last: dt.date
) -> Trend:
    """One clinic's own series, for that clinic's own members only (exact)."""
    series = monthly_series(
        indicator=indicator, label=_("Your clinic"), first=first, last=last, clinic_id=clinic_id
    )
    return _trend(series, cluster=cluster, indicator=indicator)


def clinic_series(
    *, clinic_id: int, indicators: list[Indicator], label: str, first: dt.date, last: dt.date
) -> dict[int, Series]:
    """`monthly_series` of one clinic for several indicators in one query (the start
    page and "Din klinik" ask for every indicator): exact, for the clinic's own members."""
    sums: dict[int, dict[dt.date, tuple[int, int]]] = defaultdict(dict)
    for row in (
        IndicatorValue.objects.filter(
            indicator_id__in=[i.pk for i in indicators],
            clinic_id=clinic_id,
            period_kind="M",
            period__gte=first,
            period__lte=last,
        )
        .values("indicator_id", "period")
        .annotate(n=Sum("numerator"), d=Sum("denominator"))
        .order_by()
    ):
        sums[row["indicator_id"]][row["period"]] = (row["n"], row["d"])
    months = release.months_in(first, last)
    return {
        i.pk: Series(
            label,
            months,
            [sums[i.pk].get(m, (0, 0))[0] for m in months],
            [sums[i.pk].get(m, (0, 0))[1] for m in months],
        )
        for i in indicators
    }


def clinic_trends(
    *, clinic_id: int, indicators: list[Indicator], first: dt.date, last: dt.date
) -> dict[int, Trend]:
    """`clinic_trend` for several indicators at once (one query), keyed by indicator id."""
    series = clinic_series(
        clinic_id=clinic_id, indicators=indicators, label=_("Your clinic"), first=first, last=last
    )
    return {i.pk: _trend(series[i.pk], cluster=None, indicator=i) for i in indicators}


def _trend(
    series: Series,
    *,
    cluster: Cluster | None,
    indicator: Indicator,
    context: tuple[list[Intervention], Goal | None] | None = None,
) -> Trend:
    if context is not None:
        interventions, goal = context
    elif cluster:
        interventions = list(
            Intervention.objects.filter(cluster=cluster, indicator=indicator).select_related(
                "decision__meeting"
            )
        )
        goal = Goal.objects.filter(cluster=cluster, indicator=indicator).first()
    else:
        interventions, goal = [], None
    shown = series.shown or [True] * len(series.months)
    hidden_months = [m for m, ok in zip(series.months, shown, strict=True) if not ok]
    values = np.array([np.nan if v is None else v for v in series.values])
    baseline = None
    in_range = [i for i in interventions if series.months[0] <= i.date <= series.months[-1]]
    if in_range:
        first_change = min(i.date for i in in_range)
        baseline = sum(1 for m in series.months if m < first_change) or None
    analysis = stats.runs_analysis(values, baseline=baseline)
    return Trend(series, analysis, baseline, interventions, goal, hidden_months)


# --- Dashboard ------------------------------------------------------------------------------------------

TREND_MONTHS = 48  # the run chart's reach, on the indicator page and the dashboard alike


@dataclass
class DashboardRow:
    indicator: Indicator
    last: dt.date
    cluster: Level
    nation: Level
    trend: Trend
    worse_by: float | None  # relative difference from the nation, positive = worse


def _worse_by(indicator: Indicator, group: Level, nation: Level) -> float | None:
    if group.value is None or not nation.value or indicator.direction == "neither":
        return None
    sign = 1 if indicator.direction == "lower" else -1
    return sign * (group.value - nation.value) / nation.value


def _sorted(rows: list[DashboardRow]) -> list[DashboardRow]:
    return sorted(rows, key=lambda r: (r.worse_by is None, -(r.worse_by or 0), r.indicator.title))


def cluster_dashboard(
    *, cluster: Cluster, viewer=None, on: dt.date | None = None
) -> list[DashboardRow]:
    """Every active indicator at the cluster's own latest complete month: the last
    quarter against the nation, and the same trend and verdict as the indicator page.
    What the rows share is read once for all of them (contributors, cells, members,
    interventions, goals), so the page costs the same queries for any number of
    indicators and clinics; the figures are those of `benchmark` and `cluster_trend`."""
    latest = cluster_latest_months(cluster=cluster, on=on)
    identified = sees_identified(viewer, cluster)
    if not latest:
        return []
    first_all = add_months(min(latest.values()), -(TREND_MONTHS - 1))
    last_all = max(latest.values())
    contributors = release.cluster_contributors(cluster=cluster, first=first_all, last=last_all)
    indicators = list(Indicator.objects.filter(active=True, pk__in=list(latest)))
    cells = release.clinic_cells_by_indicator(
        indicator_ids=[i.pk for i in indicators],
        clinic_ids=contributors.in_window(first_all, last_all),
        first=first_all,
        last=last_all,
        exact=identified,
    )
    interventions: dict[int, list[Intervention]] = {i.pk: [] for i in indicators}
    for intervention in Intervention.objects.filter(
        cluster=cluster, indicator__in=indicators
    ).select_related("decision__meeting"):
        interventions[intervention.indicator_id].append(intervention)
    goals: dict[int, Goal] = {}
    for goal in Goal.objects.filter(cluster=cluster, indicator__in=indicators):
        goals.setdefault(goal.indicator_id, goal)  # the newest, as `_trend` reads it
    memberships = list(
        Membership.objects.filter(cluster=cluster).values_list("clinic_id", "start", "end")
    )

    def members_on(day: dt.date) -> int:
        return len(
            {c for c, start, end in memberships if start <= day and (end is None or end > day)}
        )

    version = data_version()
    rows = []
    for indicator in indicators:
        last = latest[indicator.pk]
        first = add_months(last, -(TREND_MONTHS - 1))
        trend = cluster_trend(
            cluster=cluster,
            indicator=indicator,
            first=first,
            last=last,
            identified=identified,
            contributors=contributors,
            cells=cells[indicator.pk],
            context=(interventions[indicator.pk], goals.get(indicator.pk)),
        )
        quarter = add_months(last, -2)
        window = contributors.window(quarter, last)
        totals = release.monthly_totals(cells[indicator.pk], window)
        group = _cluster_level(
            cluster,
            totals,
            expected=members_on(release.month_end(last)),
            identified=identified,
            rate=indicator.is_rate,
        )
        nation = comparator_level(
            area_months(indicator=indicator, first=quarter, last=last, version=version),
            first=quarter,
            last=last,
            cluster_reported=[t[2] for t in totals],
        )
        rows.append(
            DashboardRow(indicator, last, group, nation, trend, _worse_by(indicator, group, nation))
        )
    return _sorted(rows)


def clinic_dashboard(*, clinic_id: int, last: dt.date, months: int = 36) -> list[DashboardRow]:
    """A doctor's own clinic (exact: it is theirs) against the nation, every indicator."""
    first = add_months(last, -(months - 1))
    quarter_first = add_months(last, -2)
    rows = []
    indicators = list(Indicator.objects.filter(active=True))
    # One window holding both the trend's months and the last quarter.
    trends = clinic_trends(
        clinic_id=clinic_id, indicators=indicators, first=min(first, quarter_first), last=last
    )
    for indicator in indicators:
        # The last quarter is within the trend's window: its sums are the trend's.
        trend = trends[indicator.pk]
        quarter = [
            (n, d)
            for m, n, d in zip(
                trend.series.months,
                trend.series.numerators,
                trend.series.denominators,
                strict=True,
            )
            if quarter_first <= m <= last
        ]
        group = Level(_("Your clinic"), sum(n for n, _d in quarter), sum(d for _n, d in quarter))
        nation = national_level(indicator=indicator, first=quarter_first, last=last)
        rows.append(
            DashboardRow(indicator, last, group, nation, trend, _worse_by(indicator, group, nation))
        )
    return _sorted(rows)


# --- Permissions: roles on an import -------------------------------------------------------------


def user_import_roles(user, run) -> set:
    """OWNER for the importer; for a cluster's import, that cluster's roles; for a
    region's import, its regional staff."""
    from klynge.core.permissions import Role
    from klynge.registry.selectors import user_cluster_roles

    roles: set = set()
    if run.actor_id == user.pk:
        roles.add(Role.OWNER)
    kind, _sep, ref = run.scope.partition(":")
    if kind == "cluster" and ref.isdigit():
        cluster = Cluster.objects.filter(pk=int(ref)).select_related("municipality").first()
        if cluster is not None:
            roles |= user_cluster_roles(user, cluster) & {Role.COORDINATOR, Role.BOARD, Role.REGION}
    elif kind == "region" and ref.isdigit() and staff_region_code(user) == int(ref):
        roles.add(Role.REGION)
    return roles
