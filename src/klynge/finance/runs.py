"""The regional unit's payment run (FIN-2): choose the grants that are due, export the
payment list for the bank (CVR, registration and account number, a reference), and
record the run as paid on the day the bank actually paid, in one step.

Each line becomes one payout through `services.payout_record` with a key made from the
run and the cluster, so recording a run twice (a double click, a retry) pays nothing
twice. A cluster is in at most one open run per year, so two runs cannot both pay it.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.finance import selectors, services
from klynge.finance.models import PaymentRun, PaymentRunLine
from klynge.registry.models import Cluster, Region
from klynge.registry.selectors import staff_scope

RUN_KEYS = uuid.UUID("6f1d9a64-2f0c-4c55-9a53-6b1f4e3f7a10")  # namespace of the payout keys


def payout_key(line: PaymentRunLine) -> uuid.UUID:
    """The payout key of a run's line: the same on every recording of the run."""
    return uuid.uuid5(RUN_KEYS, f"run:{line.run_id}:cluster:{line.cluster_id}")


@dataclass(frozen=True)
class Payable:
    row: selectors.GrantRow
    due_on: dt.date

    @property
    def cluster(self) -> Cluster:
        return self.row.cluster

    @property
    def amount(self) -> Decimal:
        return self.row.due

    @property
    def bank_ready(self) -> bool:
        c = self.row.cluster
        return bool(c.bank_registration and c.bank_account)


def open_run_clusters(*, year: int) -> set[int]:
    """Clusters already in a run for `year` that is not yet recorded as paid."""
    return set(
        PaymentRunLine.objects.filter(run__year=year, run__paid_on__isnull=True).values_list(
            "cluster_id", flat=True
        )
    )


def payable(*, year: int, region: int | None, on: dt.date) -> list[Payable]:
    """The grants of `year` due on `on` and not yet paid in full, of the region's
    clusters (every cluster for the secretariat), leaving out the clusters already in an
    open run. A grant due later (registration completed this month, next year's grant)
    is not offered."""
    try:
        rows = selectors.grant_rows(year=year, region=region, on=on)
    except ValueError:  # no grant scheme in force
        return []
    taken = open_run_clusters(year=year)
    result = []
    for row in rows:
        due_on = row.due_on(year)
        if due_on is None or due_on > on or row.due <= 0 or row.cluster.pk in taken:
            continue
        result.append(Payable(row, due_on))
    result.sort(key=lambda p: (p.due_on, p.cluster.name))
    return result


def _check_scope(actor: Any, region: Region | None, on: dt.date) -> None:
    if getattr(actor, "is_secretariat", False):
        return
    scope = staff_scope(actor, on)
    if scope is None or region is None or scope.pk != region.pk:
        raise DomainError(_("You can only make payment runs for your own region."))


def payment_run_create(
    *,
    actor: Any,
    year: int,
    region: Region | None,
    clusters: Iterable[int],
    on: dt.date | None = None,
) -> PaymentRun:
    """A run of the chosen clusters' due grants, each at what is still due on `on`.
    Refused when a chosen cluster's grant is not due, already in an open run, or when
    the cluster has no bank account to pay to."""
    on = on or timezone.localdate()
    _check_scope(actor, region, on)
    wanted = sorted(set(clusters))
    if not wanted:
        raise DomainError(_("Choose at least one cluster to pay."), field="clusters")
    with transaction.atomic():
        # The clusters' rows are locked: a payout or another run waits for this one.
        list(Cluster.objects.select_for_update().filter(pk__in=wanted).values_list("pk"))
        due = {
            p.cluster.pk: p for p in payable(year=year, region=region.pk if region else None, on=on)
        }
        for pk in wanted:
            if pk not in due:
                name = Cluster.objects.filter(pk=pk).values_list("name", flat=True).first()
                raise DomainError(
                    _("%(cluster)s has no grant due for %(year)s that is not already in a run.")
                    % {"cluster": name or pk, "year": year},
                    field="clusters",
                )
            if not due[pk].bank_ready:
                raise DomainError(
                    _("%(cluster)s has no bank account registered; it cannot be paid.")
                    % {"cluster": due[pk].cluster.name},
                    field="clusters",
                )
        run = PaymentRun.objects.create(
            year=year,
            region=region,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        for pk in wanted:
            PaymentRunLine.objects.create(
                run=run,
                cluster_id=pk,
                amount=due[pk].amount,
                reference=f"KT{year}-{run.pk:04d}-{pk}",
            )
        audit_log(
            actor=actor,
            action="finance.payment_run.created",
            target=run,
            scope="finance",
            data={"year": year, "clusters": wanted, "total": str(run_total(run))},
        )
    return run


def run_total(run: PaymentRun) -> Decimal:
    return sum((line.amount for line in run.lines.all()), start=Decimal("0"))


@dataclass(frozen=True)
class RecordResult:
    run: PaymentRun
    already: bool  # the run had been recorded before; nothing was paid now


def payment_run_record(*, actor: Any, run: PaymentRun, paid_on: dt.date) -> RecordResult:
    """Record every line of the run as paid on `paid_on`, the day the bank paid, in one
    transaction: all lines become payouts, or none does. Recording a recorded run again
    changes nothing."""
    if paid_on > timezone.localdate():
        raise DomainError(_("A payment cannot be dated in the future."), field="paid_on")
    with transaction.atomic():
        # Claim the run first, with a write: the row lock on PostgreSQL, the database's
        # write lock on SQLite (which has no row locks), so a second submit waits for the
        # first and finds the run recorded. Anything refused below undoes the claim.
        claimed = PaymentRun.objects.filter(pk=run.pk, paid_on__isnull=True).update(paid_on=paid_on)
        run = PaymentRun.objects.get(pk=run.pk)
        if not claimed:
            return RecordResult(run, already=True)
        _check_scope(actor, run.region, timezone.localdate())
        for line in run.lines.select_related("cluster__municipality").order_by("id"):
            try:
                payout = services.payout_record(
                    actor=actor,
                    cluster=line.cluster,
                    year=run.year,
                    amount=line.amount,
                    paid_on=paid_on,
                    key=payout_key(line),
                )
            except DomainError as error:
                raise DomainError(
                    _("%(cluster)s: %(error)s") % {"cluster": line.cluster.name, "error": error},
                    field="paid_on",
                ) from error
            line.payout = payout
            line.save(update_fields=["payout"])
        run.recorded = timezone.now()
        run.recorded_by = actor if getattr(actor, "is_authenticated", False) else None
        run.save(update_fields=["recorded", "recorded_by"])
        audit_log(
            actor=actor,
            action="finance.payment_run.recorded",
            target=run,
            scope="finance",
            data={"paid_on": paid_on.isoformat(), "lines": run.lines.count()},
        )
    return RecordResult(run, already=False)


def payment_run_discard(*, actor: Any, run: PaymentRun) -> None:
    """Drop a run that was not paid (its clusters can go in another run)."""
    with transaction.atomic():
        run = PaymentRun.objects.select_for_update().get(pk=run.pk)
        if run.paid_on is not None:
            raise DomainError(_("The run is recorded as paid; reverse its payouts instead."))
        _check_scope(actor, run.region, timezone.localdate())
        audit_log(
            actor=actor,
            action="finance.payment_run.discarded",
            target=run,
            scope="finance",
            data={
                "year": run.year,
                "clusters": list(run.lines.values_list("cluster_id", flat=True)),
            },
        )
        run.delete()


def runs_for(*, user: Any, year: int, on: dt.date) -> list[PaymentRun]:
    """The runs of `year` the user sees: their region's (every run, for the secretariat)."""
    qs = PaymentRun.objects.filter(year=year).select_related("region").prefetch_related("lines")
    if not getattr(user, "is_secretariat", False):
        scope = staff_scope(user, on)
        if scope is None:
            return []
        qs = qs.filter(region=scope)
    return list(qs)


def visible(*, user: Any, run: PaymentRun, on: dt.date) -> bool:
    """Whether `user` may see `run`: the secretariat every run, a unit its region's."""
    if getattr(user, "is_secretariat", False):
        return True
    scope = staff_scope(user, on)
    return scope is not None and run.region_id == scope.pk
