"""Grant figures per cluster for a year, from the register and the schemes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from klynge.core.dates import today
from klynge.finance import grants
from klynge.finance.models import BooksClosure, GrantScheme, Payout
from klynge.registry.models import Cluster, Membership, Region
from klynge.registry.selectors import clinic_counts_on, in_region, region_map


@dataclass(frozen=True)
class GrantRow:
    cluster: Cluster
    grant: grants.Grant
    first_payout: dt.date | None
    paid: Decimal = Decimal("0")  # the year's payouts less their reversals
    returned: Decimal | None = None  # the funds returned when the cluster was dissolved
    region: Region | None = None  # the region in force on the date asked about

    @property
    def due(self) -> Decimal:
        """What is left to pay for the year; nothing once the cluster is dissolved (its
        books are closed; the remaining funds went back to the region)."""
        if self.cluster.dissolved is not None:
            return Decimal("0")
        return max(self.grant.total - self.paid, Decimal("0"))

    def due_on(self, year: int) -> dt.date | None:
        """The founding year's grant from the first turn of the month after completion;
        later years' from 1 January (the regions' usual schedule)."""
        if self.first_payout is None:
            return None
        return max(self.first_payout, dt.date(year, 1, 1))


def grant_rows(
    *,
    year: int,
    region: int | None = None,
    only: Cluster | None = None,
    on: dt.date | None = None,
) -> list[GrantRow]:
    """One row per cluster active in `year` (of `region` as it stood on `on`, default
    today, or just `only`). The basis is the listed patients (and doctor capacities) on
    1 January of the founding year, of the clinics that were members when the cluster
    was founded. `paid` is read from the payouts only: they are the single record of
    what is paid (each keeps the region that paid it, `Payout.payer`)."""
    on = on or today()
    schemes = [s.as_rule() for s in GrantScheme.objects.all()]
    clusters = Cluster.objects.filter(founded__year__lte=year).exclude(
        dissolved__lt=dt.date(year, 1, 1)
    )
    clusters = clusters.select_related("municipality").order_by("name", "id")
    if region:
        clusters = clusters.filter(in_region(region, on))
    regions = region_map(on)
    if only is not None:
        clusters = clusters.filter(pk=only.pk)
    rows = []
    returned = dict(
        BooksClosure.objects.filter(cluster__in=clusters).values_list("cluster_id", "returned")
    )
    paid = dict(
        Payout.objects.filter(year=year, cluster__in=clusters)
        .values("cluster_id")
        .annotate(total=Sum("amount"))
        .values_list("cluster_id", "total")
    )
    counts_by_year: dict[int, dict] = {}
    for cluster in clusters:
        basis_day = dt.date(cluster.founded.year, 1, 1)
        founders = (
            Membership.objects.active_on(cluster.founded)
            .filter(cluster=cluster)
            .values_list("clinic_id", flat=True)
        )
        if only is not None:  # one cluster (the start page): its founders' counts only
            counts = clinic_counts_on(on=basis_day, clinic_ids=founders)
        else:  # every cluster: each year's counts of every clinic, read once
            if basis_day.year not in counts_by_year:
                counts_by_year[basis_day.year] = clinic_counts_on(on=basis_day)
            counts = counts_by_year[basis_day.year]
        capacities = sum(counts[c].capacities for c in founders if c in counts)
        patients = sum(counts[c].listed_patients for c in founders if c in counts)
        scheme = grants.scheme_for(schemes, dt.date(year, 1, 1))
        grant = grants.grant_for_year(
            scheme=scheme,
            year=year,
            founded=cluster.founded,
            capacities=capacities,
            patients_basis=patients,
        )
        rows.append(
            GrantRow(
                cluster,
                grant,
                grants.first_payout(cluster.registration_completed),
                paid.get(cluster.pk, Decimal("0")),
                returned.get(cluster.pk),
                regions.get(cluster.municipality_id),
            )
        )
    return rows


def grant_row(*, cluster: Cluster, year: int) -> GrantRow | None:
    """The cluster's grant row for `year`, or None when it was not active that year.
    Raises ValueError when no grant scheme is in force."""
    rows = grant_rows(year=year, only=cluster)
    return rows[0] if rows else None
