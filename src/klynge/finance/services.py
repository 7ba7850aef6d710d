"""Payouts (FIN-2): a region records a grant payment; it arrives as income in the
cluster's books at once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.finance import ledger
from klynge.finance.models import Payout
from klynge.registry.models import Cluster


@transaction.atomic
def payout_record(
    *, actor: Any, cluster: Cluster, year: int, amount: Decimal, paid_on: dt.date
) -> Payout:
    amount = Decimal(str(amount))
    if amount <= 0:
        raise DomainError(_("The amount must be more than 0 kr."), field="amount")
    if paid_on < cluster.founded:
        raise DomainError(
            _("A payout cannot be dated before the cluster was founded."), field="paid_on"
        )
    payout = Payout.objects.create(
        cluster=cluster, year=year, amount=amount, paid_on=paid_on, paid_by=actor
    )
    ledger.grant_received(
        actor=actor,
        cluster=cluster,
        date=paid_on,
        amount=amount,
        text=_("Grant %(year)s from %(region)s") % {"year": year, "region": cluster.region.name},
    )
    audit_log(
        actor=actor,
        action="finance.payout.recorded",
        target=payout,
        scope=f"cluster:{cluster.pk}",
        data={"year": year, "amount": str(amount), "paid_on": str(paid_on)},
    )
    return payout
