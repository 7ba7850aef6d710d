"""Synthetic indicator values for the demo register (issue: 60 months of every shipped
indicator for every clinic), through the month before the demo's day: a demo built on
1 December 2026 has values for December 2021 to November 2026.

Each clinic has its own level (a logit-normal random effect), months vary by season
(antibiotics, CRP and out-of-hours contacts peak in winter), a little overdispersion is
added month to month, and about a fifth of the clusters really improve one indicator
after a dated intervention, so the demo shows noise as well as signal. Counts are
drawn from binomial (shares) and Poisson (rates) distributions, so small clinics are
noisier than large ones, as in real data. The values are written by the same code as a
file import, as one `ImportRun` (source "generator") that can be undone.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import polars as pl
from django.db import connection, transaction
from django.utils import timezone

from klynge.quality import services
from klynge.quality.models import (
    ClusterDataSettings,
    Consent,
    Goal,
    ImportRun,
    ImportStatus,
    Indicator,
    IndicatorValue,
    Intervention,
    ReplacedValue,
)
from klynge.quality.periods import add_months
from klynge.registry.models import Cluster, Membership
from klynge.registry.selectors import clinic_counts_on

MONTHS = 60


def first_month(today: dt.date) -> dt.date:
    """The first of the 60 months that end with the month before `today`."""
    return add_months(dt.date(today.year, today.month, 1), -MONTHS)


@dataclass(frozen=True)
class Model:
    denominator_per_patient: float  # expected denominator per listed patient per month
    level: float  # a share (0-1) or events per patient per month
    winter: float = 0.0  # seasonal amplitude on the log scale (peak in January)
    clinic_sd: float = 0.25  # between-clinic SD on the logit / log scale
    trend_per_year: float = 0.0  # national drift on the logit / log scale
    winter_denominator: bool = (
        False  # the denominator itself is seasonal (antibiotic prescriptions)
    )


MODELS = {
    "ab_broad_spectrum": Model(
        0.022, 0.30, winter=0.10, clinic_sd=0.30, trend_per_year=-0.05, winter_denominator=True
    ),
    "ab_eye_drops": Model(0.0015, 0.55, winter=0.05, clinic_sd=0.35, winter_denominator=True),
    "nsaid_elderly": Model(0.20, 0.06, clinic_sd=0.30, trend_per_year=-0.04),
    "crp_tests": Model(1.0, 0.012, winter=0.30, clinic_sd=0.35),
    "polypharmacy_65": Model(0.20, 0.12, clinic_sd=0.20, trend_per_year=-0.02),
    "benzodiazepines": Model(1.0, 0.025, clinic_sd=0.30, trend_per_year=-0.05),
    "opioids": Model(1.0, 0.05, clinic_sd=0.25, trend_per_year=-0.03),
    "t2d_hba1c_over_58": Model(0.045, 0.22, clinic_sd=0.25),
    "diabetes_annual_control": Model(0.05, 0.80, clinic_sd=0.40),
    "municipal_referrals": Model(1.0, 0.002, clinic_sd=0.45),
    "out_of_hours": Model(1.0, 0.025, winter=0.20, clinic_sd=0.25),
    "readmissions_30d": Model(0.004, 0.12, clinic_sd=0.20),
    "patient_satisfaction": Model(0.003, 0.90, clinic_sd=0.35),
}
DEFAULT_MODEL = Model(0.1, 0.2)


def _logit(p: np.ndarray | float) -> np.ndarray:
    return np.log(np.asarray(p) / (1 - np.asarray(p)))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def generate_values(*, seed: int = 1, today: dt.date | None = None) -> ImportRun | None:
    """Generate and write the values for the 60 months before `today`'s month (default:
    the real date); returns the generator's `ImportRun`."""
    today = today or timezone.localdate()
    first = first_month(today)
    indicators = list(Indicator.objects.filter(active=True).order_by("code"))
    if not indicators:
        return None
    rng = np.random.default_rng(seed + 7919)
    counts = clinic_counts_on(on=today)
    clinic_ids = np.array(sorted(counts), dtype=np.int64)
    patients = np.array([counts[c].listed_patients for c in clinic_ids], dtype=float)
    cluster_of = dict(Membership.objects.active_on(today).values_list("clinic_id", "cluster_id"))
    clusters = list(Cluster.objects.order_by("id").values_list("id", flat=True))
    months = np.arange(MONTHS)
    month_of_year = np.array([add_months(first, int(m)).month for m in months])
    season = np.cos(2 * np.pi * (month_of_year - 1) / 12)  # +1 in January, -1 in July

    # A fifth of the clusters improve one indicator after a dated decision.
    improving = rng.choice(clusters, size=max(1, len(clusters) // 5), replace=False)
    directional = [i for i in indicators if i.direction != "neither"]
    interventions: list[Intervention] = []
    effect: dict[tuple[int, int], int] = {}  # (cluster, indicator) -> first month of change
    for cluster_id in sorted(int(c) for c in improving):
        indicator = directional[int(rng.integers(len(directional)))]
        start = int(rng.integers(24, 42))  # between month 24 and 42 of 60
        effect[(cluster_id, indicator.pk)] = start
        interventions.append(
            Intervention(
                cluster_id=cluster_id,
                indicator=indicator,
                date=add_months(first, start),
                text=f"Fælles indsats besluttet på klyngemødet: {indicator.title_da.lower()}",
                meeting_ref="Klyngemøde (demo)",
            )
        )

    period_days = np.array([add_months(first, int(m)) for m in months], dtype="datetime64[D]")
    frames = []
    for indicator in indicators:
        model = MODELS.get(indicator.code, DEFAULT_MODEL)
        rate = indicator.unit == "rate_per_1000"
        clinic_effect = rng.normal(0, model.clinic_sd, size=clinic_ids.size)
        trend = model.trend_per_year * months / 12
        base = np.log(model.level) if rate else _logit(model.level)
        linear = base + clinic_effect[:, None] + trend[None, :] + model.winter * season[None, :]
        linear = linear + rng.normal(0, 0.05, size=linear.shape)  # month-to-month overdispersion
        toward_better = -1.0 if indicator.direction == "lower" else 1.0
        for (cluster_id, indicator_id), start in effect.items():
            if indicator_id != indicator.pk:
                continue
            members = np.array([cluster_of.get(int(c)) == cluster_id for c in clinic_ids])
            ramp = np.clip((months - start + 1) / 3, 0, 1)  # the change takes three months
            linear[members] += toward_better * 0.45 * ramp[None, :]
        expected = patients[:, None] * model.denominator_per_patient
        if model.winter_denominator:
            expected = expected * np.exp(0.35 * season)[None, :]
        denominators = rng.poisson(np.broadcast_to(expected, linear.shape))
        if rate:
            numerators = rng.poisson(denominators * np.exp(linear))
        else:
            numerators = rng.binomial(denominators, _expit(linear))
        frames.append(
            pl.DataFrame(
                {
                    "clinic_id": np.repeat(clinic_ids, MONTHS),
                    "indicator_id": np.full(clinic_ids.size * MONTHS, indicator.pk, dtype=np.int64),
                    "period_kind": ["M"] * (clinic_ids.size * MONTHS),
                    "period": np.tile(period_days, clinic_ids.size),
                    "numerator": numerators.ravel().astype(np.int64),
                    "denominator": denominators.ravel().astype(np.int64),
                }
            )
        )
    frame = pl.concat(frames)
    with transaction.atomic():
        run = ImportRun.objects.create(
            source="generator",
            filename=f"synthetic seed {seed}",
            status=ImportStatus.RUNNING,
            rows_total=frame.height,
            phase="",
            started=timezone.now(),
        )
        services._write_values(frame, run)  # the import's writer: same path as a file
        Intervention.objects.bulk_create(interventions)
        # Most clinics consent to showing their data in the cluster; a few have not (yet).
        # In the demo coordinator's cluster exactly one has not (never a demo login's own
        # clinic), so the coordinator has one to follow up and the members see their data.
        consent_rng = np.random.default_rng(seed + 104729)
        draws = {int(c): consent_rng.random() < 0.93 for c in clinic_ids}
        demo_cluster, personas = _demo_cluster_and_persona_clinics()
        if demo_cluster is not None:
            others = sorted(
                c for c, k in cluster_of.items() if k == demo_cluster and c not in personas
            )
            for c in cluster_of:
                if cluster_of[c] == demo_cluster:
                    draws[c] = c != others[-1] if others else True
        Consent.objects.bulk_create(
            Consent(clinic_id=c, cluster_id=cluster_of[c], start=dt.date(2020, 1, 1))
            for c in sorted(draws)
            if c in cluster_of and draws[c]
        )
        run.status, run.rows_written, run.progress = ImportStatus.SUCCEEDED, frame.height, 100
        run.finished, run.phase = timezone.now(), "Done"
        run.save()
    return run


def _demo_cluster_and_persona_clinics() -> tuple[int | None, set[int]]:
    """The demo coordinator's cluster (None without demo logins) and the clinics of the
    demo logins' doctors."""
    from klynge.demo.dataset import DEMO_DOMAIN
    from klynge.registry.models import Doctor, RoleAssignment

    personas = set(
        Doctor.objects.filter(user__email__endswith=f"@{DEMO_DOMAIN}").values_list(
            "clinic_id", flat=True
        )
    )
    role = (
        RoleAssignment.objects.filter(
            doctor__user__email=f"koordinator@{DEMO_DOMAIN}", role="coordinator", end__isnull=True
        )
        .order_by("id")
        .first()
    )
    return (role.cluster_id if role else None), personas


def clear_values() -> None:
    with connection.cursor() as cursor:
        for model in (
            ReplacedValue,
            IndicatorValue,
            Intervention,
            Consent,
            Goal,
            ClusterDataSettings,
        ):
            cursor.execute(f'DELETE FROM "{model._meta.db_table}"')
    ImportRun.objects.filter(source="generator").delete()


def months_between(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


__all__ = ["MONTHS", "clear_values", "first_month", "generate_values", "math", "months_between"]
