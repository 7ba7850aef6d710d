"""Central administration (since 2023): expense claims with receipts, decided by the
national secretariat, and booked in the cluster's books when paid."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.core import uploads
from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.finance import ledger
from klynge.finance.models import (
    Administration,
    ClaimStatus,
    ClusterFinance,
    ExpenseCategory,
    ExpenseClaim,
)
from klynge.registry.models import Cluster


def administration_of(cluster: Cluster) -> str:
    settings = ClusterFinance.objects.filter(cluster=cluster).first()
    return settings.administration if settings else Administration.OWN_ACCOUNT


@transaction.atomic
def administration_set(*, actor: Any, cluster: Cluster, administration: str) -> ClusterFinance:
    if administration not in Administration.values:
        raise DomainError(_("Unknown way of holding the funds."))
    settings, _created = ClusterFinance.objects.update_or_create(
        cluster=cluster, defaults={"administration": administration}
    )
    audit_log(
        actor=actor,
        action="finance.administration.changed",
        target=cluster,
        scope=f"cluster:{cluster.pk}",
        data={"administration": administration},
    )
    return settings


@transaction.atomic
def claim_submit(
    *,
    actor: Any,
    cluster: Cluster,
    date: dt.date,
    text: str,
    category: str,
    amount: Decimal,
    payee: str,
    receipt,
) -> ExpenseClaim:
    if category in ledger.REFUSED_EXPENSES:
        raise DomainError(str(ledger.REFUSED_EXPENSES[category]), field="category")
    if category not in ExpenseCategory.values:
        raise DomainError(_("Choose a category for the expense."), field="category")
    if receipt is None:
        raise DomainError(_("Attach the receipt."), field="receipt")
    receipt = uploads.checked_receipt(receipt)
    if Decimal(str(amount)) <= 0:
        raise DomainError(_("The amount must be more than 0 kr."), field="amount")
    claim = ExpenseClaim(
        cluster=cluster,
        submitted_by=actor,
        date=date,
        text=text.strip(),
        category=category,
        amount=Decimal(str(amount)),
        payee=payee.strip(),
    )
    claim.receipt.save(f"{cluster.slug}-{receipt.name}"[-120:], receipt, save=False)
    claim.save()
    audit_log(
        actor=actor,
        action="finance.claim.submitted",
        target=claim,
        scope=f"cluster:{cluster.pk}",
        data={"amount": str(claim.amount), "category": category},
    )
    return claim


@transaction.atomic
def claim_decide(
    *, actor: Any, claim: ExpenseClaim, approve: bool, reason: str = ""
) -> ExpenseClaim:
    if claim.status != ClaimStatus.SUBMITTED:
        raise DomainError(_("The claim has already been decided."))
    if not approve and not reason.strip():
        raise DomainError(_("Give the reason for rejecting the claim."), field="reason")
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.decided_by, claim.decided, claim.reason = actor, timezone.now(), reason.strip()
    claim.save()
    audit_log(
        actor=actor,
        action=f"finance.claim.{claim.status}",
        target=claim,
        scope=f"cluster:{claim.cluster_id}",
        data={"reason": claim.reason},
    )
    return claim


@transaction.atomic
def claim_pay(*, actor: Any, claim: ExpenseClaim, paid_on: dt.date) -> ExpenseClaim:
    """Pay an approved claim from the centrally held funds and book it."""
    if claim.status != ClaimStatus.APPROVED:
        raise DomainError(_("Only an approved claim can be paid."))
    claim.booking = ledger.expense_record(
        actor=actor,
        cluster=claim.cluster,
        date=paid_on,
        category=claim.category,
        amount=claim.amount,
        text=_("Claim: %(text)s (to %(payee)s)") % {"text": claim.text, "payee": claim.payee},
    )
    claim.status = ClaimStatus.PAID
    claim.save()
    audit_log(
        actor=actor,
        action="finance.claim.paid",
        target=claim,
        scope=f"cluster:{claim.cluster_id}",
        data={"amount": str(claim.amount)},
    )
    return claim
