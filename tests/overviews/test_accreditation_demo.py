"""The demo register fills the accreditation of the clinics in no cluster plausibly and
the same way for the same seed (`klynge.demo.dataset`)."""

from __future__ import annotations

import datetime as dt

import pytest

from klynge.demo import dataset
from klynge.registry import selectors
from klynge.registry.models import Clinic

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 6, 1)


def _statuses() -> list[tuple[str, str, dt.date | None]]:
    return list(
        Clinic.objects.order_by("provider_number").values_list(
            "provider_number", "accreditation", "accreditation_date"
        )
    )


def test_the_same_seed_gives_the_same_statuses_and_only_outside_the_clusters():
    dataset.generate(scale_name="denmark", seed=1, with_users=False, today=TODAY)
    first = _statuses()
    outside = {c.pk for c in selectors.coverage(on=TODAY).unclustered}
    known = Clinic.objects.exclude(accreditation="unknown")
    assert known.exists() and set(known.values_list("pk", flat=True)) <= outside
    counts = {s: sum(1 for _p, a, _d in first if a == s) for s in ("accredited", "not_accredited")}
    # Most clinics outside a cluster are accredited; some are not; of some nobody knows.
    assert counts["accredited"] > counts["not_accredited"] > 0
    assert counts["accredited"] + counts["not_accredited"] < len(outside)
    for _p, status, day in first:
        if status != "unknown":
            assert day is not None and dataset.ACCREDITATION_DUTY <= day <= TODAY
    dataset.clear()
    dataset.generate(scale_name="denmark", seed=1, with_users=False, today=TODAY)
    assert _statuses() == first
