"""Reads of quality data: benchmarks with consent, pseudonyms and suppression applied,
time series for run and control charts, dashboards.

Who sees what (DATA-3, DATA-4, PLAT-1):
* A cluster view shows the member clinics that have consented; the cluster's value is
  Σ numerator / Σ denominator over exactly those clinics (never a mean of ratios).
* In anonymised mode (the default) clinics are pseudonyms, drawn afresh for every
  cluster, indicator and day, so nobody can follow a clinic from one meeting's
  presentation to the next. A logged-in member sees their own clinic marked as theirs.
* Counts from 1 to 4 (and their complements) are hidden, with secondary suppression
  so a hidden cell cannot be recovered from the cluster total (klynge.quality.stats).
  A viewer's own clinic is never hidden from them, and is treated as known when
  deciding what else to hide.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import string
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Max, Sum
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from klynge.quality import stats
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
from klynge.registry.models import Clinic, Cluster, Doctor
from klynge.registry.selectors import cluster_memberships_on, today

# --- Caching of aggregates over many clinics ----------------------------------------------------


def data_version() -> str:
    """Changes whenever stored values change: every write goes through an `ImportRun`
    (file imports, the demo generator) and every undo stamps one."""
    agg = ImportRun.objects.aggregate(n=Count("id"), finished=Max("finished"), undone=Max("undone"))
    return f"{agg['n']}:{agg['finished']}:{agg['undone']}"


def cached(name: str, key: tuple, compute):
    """Regional and national aggregates (tens of thousands of rows each) are the same
    for every viewer until the data change, so they are cached per data version."""
    digest = hashlib.sha256(repr((name, key, data_version())).encode()).hexdigest()[:32]
    cache_key = f"quality:{name}:{digest}"
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        cache.set(cache_key, value, timeout=6 * 3600)
    return value


# --- Who is shown -------------------------------------------------------------------------


def consenting_clinic_ids(*, clinic_ids: list[int], on: dt.date) -> set[int]:
    return set(
        Consent.objects.active_on(on)
        .filter(clinic_id__in=clinic_ids)
        .values_list("clinic_id", flat=True)
    )


def clinics_without_consent(*, cluster: Cluster, on: dt.date) -> list[Clinic]:
    members = [m.clinic for m in cluster_memberships_on(cluster=cluster, on=on)]
    consenting = consenting_clinic_ids(clinic_ids=[c.pk for c in members], on=on)
    return [c for c in members if c.pk not in consenting]


def presentation_of(cluster: Cluster) -> str:
    data_settings = ClusterDataSettings.objects.filter(cluster=cluster).first()
    return data_settings.presentation if data_settings else Presentation.ANONYMISED


def viewer_clinic_id(user) -> int | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Doctor.objects.filter(user=user).values_list("clinic_id", flat=True).first()


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


@dataclass
class Level:
    label: str
    numerator: int | None
    denominator: int | None

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


def _sums(
    indicator: Indicator, first: dt.date, last: dt.date, **filters
) -> dict[int, tuple[int, int]]:
    rows = (
        IndicatorValue.objects.filter(
            indicator=indicator, period_kind="M", period__gte=first, period__lte=last, **filters
        )
        .values("clinic_id")
        .annotate(n=Sum("numerator"), d=Sum("denominator"))
    )
    return {r["clinic_id"]: (r["n"], r["d"]) for r in rows}


def _level(
    label: str, indicator: Indicator, first: dt.date, last: dt.date, threshold: int, **filters
) -> Level:
    totals = IndicatorValue.objects.filter(
        indicator=indicator, period_kind="M", period__gte=first, period__lte=last, **filters
    ).aggregate(n=Sum("numerator"), d=Sum("denominator"))
    n, d = totals["n"], totals["d"]
    hidden = stats.suppress(
        [n or 0],
        [d or 0],
        threshold=threshold,
        complement=not indicator.is_rate,
        total_published=False,
    ).hidden[0]
    return Level(label, None if hidden else n, None if hidden else d)


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
) -> Benchmark:
    """Every shown clinic of `cluster` for `indicator`, summed over the `months` months
    ending with `last`, with the cluster, region and national values. `anonymised`
    shows pseudonyms whatever the cluster's setting (the meeting pack)."""
    on = on or today()
    first = add_months(last, -(months - 1))
    threshold = settings.KLYNGE_SUPPRESSION_THRESHOLD
    members = [m.clinic for m in cluster_memberships_on(cluster=cluster, on=on)]
    member_ids = [c.pk for c in members]
    consenting = consenting_clinic_ids(clinic_ids=member_ids, on=on)
    own = viewer_clinic_id(viewer)
    own = own if own in member_ids else None
    presentation = presentation_of(cluster)
    open_mode = (
        not anonymised and presentation == Presentation.OPEN and consenting == set(member_ids)
    )
    sums = _sums(indicator, first, last, clinic_id__in=member_ids)

    others = [c for c in members if c.pk in consenting and c.pk != own]
    nums = [sums.get(c.pk, (0, 0))[0] for c in others]
    dens = [sums.get(c.pk, (0, 0))[1] for c in others]
    hidden = stats.suppress(nums, dens, threshold=threshold, complement=not indicator.is_rate)
    labels = (
        {c.pk: c.name for c in others}
        if open_mode
        else pseudonyms(
            clinic_ids=[c.pk for c in others],
            salt=salt or f"{cluster.pk}:{indicator.pk}:{on.isoformat()}",
        )
    )
    points = []
    for i, clinic in enumerate(others):
        n, d = nums[i], dens[i]
        if hidden.hidden[i]:
            points.append(Point(labels[clinic.pk], False, None, None, None, hidden=True))
        else:
            points.append(Point(labels[clinic.pk], False, n, d, n / d if d else None))
    if own is not None:
        n, d = sums.get(own, (0, 0))
        points.append(Point(_("Your clinic"), True, n, d, n / d if d else None))
    points.sort(key=lambda p: (not p.own, p.label))

    shown_ids = [c.pk for c in members if c.pk in consenting]
    cluster_n = sum(sums.get(c, (0, 0))[0] for c in shown_ids)
    cluster_d = sum(sums.get(c, (0, 0))[1] for c in shown_ids)
    cluster_hidden = (
        hidden.total_hidden
        or (
            stats.suppress(
                [cluster_n],
                [cluster_d],
                threshold=threshold,
                complement=not indicator.is_rate,
                total_published=False,
            ).hidden[0]
        )
    )
    cluster_level = Level(
        cluster.name, None if cluster_hidden else cluster_n, None if cluster_hidden else cluster_d
    )
    region = cluster.municipality.region
    region_level = cached(
        "region_level",
        (indicator.pk, first, last, threshold, region.pk, get_language()),
        lambda: _level(
            region.name, indicator, first, last, threshold, clinic__municipality__region=region
        ),
    )
    nation_level = national_level(indicator=indicator, first=first, last=last)
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
        without_consent=len([c for c in member_ids if c not in consenting]),
        threshold=threshold,
        own_without_consent=own is not None and own not in consenting,
    )
    result.targets = {"cluster": cluster_level, "region": region_level, "nation": nation_level}
    return result


def national_level(*, indicator: Indicator, first: dt.date, last: dt.date) -> Level:
    """Σn/Σd over every clinic in the nation (cached per data version)."""
    threshold = settings.KLYNGE_SUPPRESSION_THRESHOLD
    return cached(
        "nation_level",
        (indicator.pk, first, last, threshold, get_language()),
        lambda: _level(_("Denmark"), indicator, first, last, threshold),
    )


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
    sums = _sums(indicator, first, last)
    nums = np.array([v[0] for v in sums.values()], dtype=float)
    dens = np.array([v[1] for v in sums.values()], dtype=float)
    kind = stats.RATE if indicator.is_rate else stats.PROPORTION
    return stats.overdispersion(nums, dens, target, kind=kind)


# --- Time series -----------------------------------------------------------------------------------


@dataclass
class Series:
    label: str
    months: list[dt.date]
    numerators: list[int]
    denominators: list[int]

    @property
    def values(self) -> list[float | None]:
        return [
            n / d if d else None for n, d in zip(self.numerators, self.denominators, strict=True)
        ]


def monthly_series(
    *, indicator: Indicator, label: str, first: dt.date, last: dt.date, **filters
) -> Series:
    rows = (
        IndicatorValue.objects.filter(
            indicator=indicator, period_kind="M", period__gte=first, period__lte=last, **filters
        )
        .values("period")
        .annotate(n=Sum("numerator"), d=Sum("denominator"))
        .order_by("period")
    )
    by_month = {r["period"]: (r["n"], r["d"]) for r in rows}
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return Series(
        label,
        months,
        [by_month.get(m, (0, 0))[0] for m in months],
        [by_month.get(m, (0, 0))[1] for m in months],
    )


def region_series(*, indicator: Indicator, region, first: dt.date, last: dt.date) -> Series:
    return cached(
        "region_series",
        (indicator.pk, region.pk, first, last),
        lambda: monthly_series(
            indicator=indicator,
            label=region.name,
            first=first,
            last=last,
            clinic__municipality__region=region,
        ),
    )


def nation_series(*, indicator: Indicator, first: dt.date, last: dt.date) -> Series:
    return cached(
        "nation_series",
        (indicator.pk, first, last, get_language()),
        lambda: monthly_series(indicator=indicator, label=_("Denmark"), first=first, last=last),
    )


def latest_month(indicator: Indicator | None = None) -> dt.date | None:
    def query() -> dt.date | None:
        qs = IndicatorValue.objects.filter(period_kind="M")
        if indicator is not None:
            qs = qs.filter(indicator=indicator)
        return qs.order_by("-period").values_list("period", flat=True).first()

    return cached("latest_month", (indicator.pk if indicator else None,), query)


@dataclass
class Trend:
    series: Series
    analysis: stats.RunsAnalysis
    baseline: int | None
    interventions: list[Intervention]
    goal: Goal | None
    hidden_months: list[dt.date]


def cluster_trend(
    *,
    cluster: Cluster,
    indicator: Indicator,
    first: dt.date,
    last: dt.date,
    on: dt.date | None = None,
    viewer_clinic: int | None = None,
) -> Trend:
    """The cluster's monthly values (consenting clinics), with the runs analysis against
    a baseline frozen before the first intervention, if there is one.

    A month is hidden when the clinics other than the viewer's own add up to a small
    count: the viewer knows their own clinic, so the cluster total minus it must be safe."""
    on = on or today()
    member_ids = [m.clinic_id for m in cluster_memberships_on(cluster=cluster, on=on)]
    shown = sorted(consenting_clinic_ids(clinic_ids=member_ids, on=on))
    series = monthly_series(
        indicator=indicator, label=cluster.name, first=first, last=last, clinic_id__in=shown
    )
    others = series
    if viewer_clinic in shown:
        others = monthly_series(
            indicator=indicator,
            label="",
            first=first,
            last=last,
            clinic_id__in=[c for c in shown if c != viewer_clinic],
        )
    return _trend(series, cluster=cluster, indicator=indicator, hidden_basis=others)


def clinic_trend(
    *, clinic_id: int, cluster: Cluster | None, indicator: Indicator, first: dt.date, last: dt.date
) -> Trend:
    """One clinic's own series, for that clinic's own members only (not suppressed)."""
    series = monthly_series(
        indicator=indicator, label=_("Your clinic"), first=first, last=last, clinic_id=clinic_id
    )
    return _trend(series, cluster=cluster, indicator=indicator, suppress_small=False)


def _trend(
    series: Series,
    *,
    cluster: Cluster | None,
    indicator: Indicator,
    suppress_small: bool = True,
    hidden_basis: Series | None = None,
) -> Trend:
    interventions = (
        list(Intervention.objects.filter(cluster=cluster, indicator=indicator)) if cluster else []
    )
    goal = Goal.objects.filter(cluster=cluster, indicator=indicator).first() if cluster else None
    hidden_months: list[dt.date] = []
    if suppress_small:
        basis = hidden_basis or series
        mask = stats.suppress(
            basis.numerators,
            basis.denominators,
            threshold=settings.KLYNGE_SUPPRESSION_THRESHOLD,
            complement=not indicator.is_rate,
            total_published=False,
        ).hidden
        hidden_months = [m for m, h in zip(series.months, mask, strict=True) if h]
    values = np.array(
        [
            np.nan if v is None or m in hidden_months else v
            for m, v in zip(series.months, series.values, strict=True)
        ]
    )
    baseline = None
    in_range = [i for i in interventions if series.months[0] <= i.date <= series.months[-1]]
    if in_range:
        first_change = min(i.date for i in in_range)
        baseline = sum(1 for m in series.months if m < first_change) or None
    analysis = stats.runs_analysis(values, baseline=baseline)
    return Trend(series, analysis, baseline, interventions, goal, hidden_months)


# --- Dashboard ------------------------------------------------------------------------------------------


@dataclass
class DashboardRow:
    indicator: Indicator
    cluster: Level
    nation: Level
    trend: Trend
    worse_by: float | None  # relative difference from the nation, positive = worse


def indicator_dashboard(
    *,
    clinic_ids: list[int],
    label: str,
    last: dt.date,
    cluster: Cluster | None = None,
    months: int = 24,
    own_clinic: bool = False,
    viewer_clinic: int | None = None,
) -> list[DashboardRow]:
    """Every active indicator for a group of clinics (a cluster's consenting members, or
    one clinic for its own members): the last quarter against the nation and the
    two-year trend; worst first where a direction exists, then the rest."""
    first = add_months(last, -(months - 1))
    quarter_first = add_months(last, -2)
    threshold = 0 if own_clinic else settings.KLYNGE_SUPPRESSION_THRESHOLD
    rows = []
    for indicator in Indicator.objects.filter(active=True):
        group = _level(label, indicator, quarter_first, last, threshold, clinic_id__in=clinic_ids)
        others_ids = [c for c in clinic_ids if c != viewer_clinic]
        if not own_clinic and viewer_clinic in clinic_ids and others_ids:
            others = _level(
                label, indicator, quarter_first, last, threshold, clinic_id__in=others_ids
            )
            if others.numerator is None:  # the rest of the cluster is small: hide the total
                group = Level(label, None, None)
        nation = national_level(indicator=indicator, first=quarter_first, last=last)
        series = monthly_series(
            indicator=indicator, label=label, first=first, last=last, clinic_id__in=clinic_ids
        )
        others_series = None
        if not own_clinic and viewer_clinic in clinic_ids:
            others_series = monthly_series(
                indicator=indicator, label="", first=first, last=last, clinic_id__in=others_ids
            )
        trend = _trend(
            series,
            cluster=cluster,
            indicator=indicator,
            suppress_small=not own_clinic,
            hidden_basis=others_series,
        )
        worse = None
        if group.value is not None and nation.value and indicator.direction != "neither":
            sign = 1 if indicator.direction == "lower" else -1
            worse = sign * (group.value - nation.value) / nation.value
        rows.append(DashboardRow(indicator, group, nation, trend, worse))
    rows.sort(key=lambda r: (r.worse_by is None, -(r.worse_by or 0), r.indicator.title))
    return rows


def cluster_dashboard(
    *,
    cluster: Cluster,
    last: dt.date,
    months: int = 24,
    on: dt.date | None = None,
    viewer_clinic: int | None = None,
) -> list[DashboardRow]:
    on = on or today()
    member_ids = [m.clinic_id for m in cluster_memberships_on(cluster=cluster, on=on)]
    shown = sorted(consenting_clinic_ids(clinic_ids=member_ids, on=on))
    return indicator_dashboard(
        clinic_ids=shown,
        label=cluster.name,
        last=last,
        cluster=cluster,
        months=months,
        viewer_clinic=viewer_clinic,
    )


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
    elif kind == "region" and ref.isdigit() and user.region_id == int(ref):
        roles.add(Role.REGION)
    return roles
