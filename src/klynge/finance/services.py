"""Payouts (FIN-2): a region records a grant payment; it arrives as income in the
cluster's books at once.

Payouts are the single record of what is paid: the grants page, the open items of a
bank import and the due amount all sum `Payout` rows (reversals are negative rows).
Recording one locks the cluster and refuses more than is still due, so two tabs or a
crafted POST cannot over-pay; the form's token (`key`, unique) makes a double submit
book once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.formatting import format_money
from klynge.core.models import audit_log
from klynge.finance import ledger, selectors
from klynge.finance.models import Payout, Transaction
from klynge.registry.models import Cluster
from klynge.registry.selectors import region_of


def paid_for_year(*, cluster: Cluster, year: int) -> Decimal:
    """The year's payouts less their reversals."""
    total = Payout.objects.filter(cluster=cluster, year=year).aggregate(t=Sum("amount"))["t"]
    return total or Decimal("0")


def _lock_cluster(cluster: Cluster) -> None:
    list(Cluster.objects.select_for_update().filter(pk=cluster.pk).values_list("pk"))


def payout_record(
    *,
    actor: Any,
    cluster: Cluster,
    year: int,
    amount: Decimal,
    paid_on: dt.date,
    key: uuid.UUID | None = None,
    booking: Transaction | None = None,
) -> Payout:
    """Record a grant payment for `year` and book it as income (or, from a bank import,
    attach the line's `booking`). Never more than is still due; a second submit of the
    same form (`key`) returns the first payout instead of paying again — also when the
    two arrive at once and the unique key is what stops the second."""
    try:
        return _payout_record(
            actor=actor,
            cluster=cluster,
            year=year,
            amount=amount,
            paid_on=paid_on,
            key=key,
            booking=booking,
        )
    except IntegrityError as exc:
        earlier = Payout.objects.filter(key=key, cluster=cluster).first() if key else None
        if earlier is None:
            # The first submit holds the key but has not committed yet (a double click
            # racing it): it will be recorded once; this one says so instead of failing.
            raise DomainError(
                _("The form was sent twice at once; it is recorded once. Reload the page.")
            ) from exc
        return earlier


@transaction.atomic
def _payout_record(
    *,
    actor: Any,
    cluster: Cluster,
    year: int,
    amount: Decimal,
    paid_on: dt.date,
    key: uuid.UUID | None,
    booking: Transaction | None,
) -> Payout:
    amount = Decimal(str(amount))
    if amount <= 0:
        raise DomainError(_("The amount must be more than 0 kr."), field="amount")
    if paid_on < cluster.founded:
        raise DomainError(
            _("A payout cannot be dated before the cluster was founded."), field="paid_on"
        )
    _lock_cluster(cluster)  # two tabs: the second waits and then sees the first payout
    if key is not None:
        earlier = Payout.objects.filter(key=key).first()
        if earlier is not None:
            if earlier.cluster_id != cluster.pk:
                raise DomainError(_("The form was already used; reload the page."))
            return earlier
    try:
        row = selectors.grant_row(cluster=cluster, year=year)
    except ValueError as exc:
        raise DomainError(_("No grant scheme is in force for %(year)s.") % {"year": year}) from exc
    if row is None:
        raise DomainError(_("The cluster receives no grant for %(year)s.") % {"year": year})
    if cluster.dissolved is not None:
        raise DomainError(_("The cluster is dissolved; nothing more is paid to it."))
    if row.first_payout is None:
        raise DomainError(_("The cluster's registration is not complete; nothing is due yet."))
    due = row.grant.total - paid_for_year(cluster=cluster, year=year)
    if due <= 0:
        raise DomainError(
            _("The grant for %(year)s is already paid in full.") % {"year": year}, field="amount"
        )
    if amount > due:
        raise DomainError(
            _("Only %(due)s is still due for %(year)s.")
            % {"due": format_money(due, 2), "year": year},
            field="amount",
        )
    payer = region_of(cluster.municipality_id, paid_on)  # the region in force that day
    if booking is None:
        booking = ledger.grant_received(
            actor=actor,
            cluster=cluster,
            date=paid_on,
            amount=amount,
            text=_("Grant %(year)s from %(region)s")
            % {"year": year, "region": payer.name if payer else ""},
        )
    payout = Payout.objects.create(
        cluster=cluster,
        year=year,
        amount=amount,
        paid_on=paid_on,
        payer=payer,
        paid_by=actor if getattr(actor, "is_authenticated", False) else None,
        booking=booking,
        key=key,
    )
    audit_log(
        actor=actor,
        action="finance.payout.recorded",
        target=payout,
        scope=f"cluster:{cluster.pk}",
        data={
            "year": year,
            "amount": str(amount),
            "paid_on": str(paid_on),
            "payer": payer.pk if payer else None,
        },
    )
    return payout


@transaction.atomic
def payout_reverse(*, actor: Any, payout: Payout, on: dt.date, reason: str) -> Payout:
    """Correct a mistaken payout: a negative payout for the same year, with the reason,
    and the reversal of its booking. The original stays."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the reversal."), field="reason")
    _lock_cluster(payout.cluster)
    if payout.reverses_id is not None:
        raise DomainError(_("A reversal cannot itself be reversed; record the payout again."))
    if Payout.objects.filter(reverses=payout).exists():
        raise DomainError(_("The payout has already been reversed."))
    booking = None
    if payout.booking is not None:
        booking = ledger.booking_reverse(actor=actor, booked=payout.booking, date=on, reason=reason)
    reversal = Payout.objects.create(
        cluster=payout.cluster,
        year=payout.year,
        amount=-payout.amount,
        paid_on=on,
        paid_by=actor if getattr(actor, "is_authenticated", False) else None,
        payer_id=payout.payer_id,  # a reversal undoes the original payer's payment
        booking=booking,
        reverses=payout,
        reason=reason.strip(),
    )
    audit_log(
        actor=actor,
        action="finance.payout.reversed",
        target=payout,
        scope=f"cluster:{payout.cluster_id}",
        data={"year": payout.year, "amount": str(payout.amount), "reason": reason.strip()},
    )
    return reversal
