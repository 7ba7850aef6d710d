"""Budgets, annual accounts, fee contracts and the fee report, dissolution (FIN-3..5).

Everything is computed from the ledger: the annual accounts are the year's entries by
account, the balance is the bank account's running total, and the fee report is the
year's booked fee payments per recipient.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.finance import ledger
from klynge.finance.models import (
    Account,
    AccountKind,
    Budget,
    BudgetLine,
    Entry,
    FeeContract,
    FeePayment,
    PaymentFrequency,
)
from klynge.registry.models import Cluster

# FIN-4: the guide's 75-hour example for a coordinator.
GUIDE_TASKS = [
    {"task": "Opstart af klyngen", "hours": 10},
    {"task": "Forberedelse af 4 klyngemøder", "hours": 20},
    {"task": "Mødeledelse af 4 klyngemøder", "hours": 10},
    {"task": "Opfølgning", "hours": 10},
    {"task": "Kontaktperson", "hours": 15},
    {"task": "Netværk", "hours": 10},
]
HOURLY_MIN, HOURLY_MAX = Decimal("900"), Decimal("1000")


# --- Budget ------------------------------------------------------------------------------------


@transaction.atomic
def budget_adopt(
    *, actor: Any, cluster: Cluster, year: int, amounts: dict[str, Decimal], adopted_on: dt.date
) -> Budget:
    """Adopt (or re-adopt) the year's budget: amounts per account code, income and
    expenses as positive numbers."""
    accounts = ledger.chart_of_accounts(cluster=cluster)
    unknown = set(amounts) - set(accounts)
    if unknown:
        raise DomainError(_("Unknown accounts: %(codes)s.") % {"codes": ", ".join(sorted(unknown))})
    budget, _created = Budget.objects.update_or_create(
        cluster=cluster, year=year, defaults={"adopted_on": adopted_on, "adopted_by": actor}
    )
    budget.lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(budget=budget, account=accounts[code], amount=Decimal(str(amount)))
        for code, amount in amounts.items()
    )
    audit_log(
        actor=actor,
        action="finance.budget.adopted",
        target=budget,
        scope=f"cluster:{cluster.pk}",
        data={"year": year, "lines": len(amounts)},
    )
    return budget


@dataclass(frozen=True)
class AccountLine:
    account: Account
    actual: Decimal  # income and expenses as positive numbers
    budget: Decimal | None


@dataclass(frozen=True)
class AnnualAccounts:
    cluster: Cluster
    year: int
    income: list[AccountLine]
    expenses: list[AccountLine]
    opening_bank: Decimal
    closing_bank: Decimal
    fees: list[tuple[str, Decimal]]
    budget_adopted_on: dt.date | None

    @property
    def income_total(self) -> Decimal:
        return sum((line.actual for line in self.income), start=Decimal("0"))

    @property
    def expense_total(self) -> Decimal:
        return sum((line.actual for line in self.expenses), start=Decimal("0"))

    @property
    def result(self) -> Decimal:
        return self.income_total - self.expense_total


def annual_accounts(*, cluster: Cluster, year: int) -> AnnualAccounts:
    """Income and expenses by account against the budget, the bank balance at the start
    and end of the year, and the year's fee payments per recipient."""
    accounts = ledger.chart_of_accounts(cluster=cluster)
    totals = dict(
        Entry.objects.filter(account__cluster=cluster, transaction__date__year=year)
        .values("account__code")
        .annotate(total=Sum("amount"))
        .values_list("account__code", "total")
    )
    budget = Budget.objects.filter(cluster=cluster, year=year).first()
    planned = (
        {line.account.code: line.amount for line in budget.lines.select_related("account")}
        if budget
        else {}
    )
    income = [
        AccountLine(a, -totals.get(c, Decimal("0")), planned.get(c))
        for c, a in sorted(accounts.items())
        if a.kind == AccountKind.INCOME
    ]
    expenses = [
        AccountLine(a, totals.get(c, Decimal("0")), planned.get(c))
        for c, a in sorted(accounts.items())
        if a.kind == AccountKind.EXPENSE
    ]
    bank_before = ledger.account_balances(cluster=cluster, until=dt.date(year - 1, 12, 31)).get(
        "1000", Decimal("0")
    )
    bank_after = ledger.account_balances(cluster=cluster, until=dt.date(year, 12, 31)).get(
        "1000", Decimal("0")
    )
    return AnnualAccounts(
        cluster,
        year,
        income,
        expenses,
        bank_before,
        bank_after,
        fee_report(year=year, cluster=cluster),
        budget.adopted_on if budget else None,
    )


def annual_accounts_pdf(accounts: AnnualAccounts) -> bytes:
    from weasyprint import HTML

    html = render_to_string("finance/annual_accounts.html", {"a": accounts})
    return HTML(string=html).write_pdf()


# --- Fee contracts and the fee report (FIN-4) -----------------------------------------------------


def contract_create(
    *,
    actor: Any,
    cluster: Cluster,
    recipient: str,
    role: str,
    hourly_basis: Decimal,
    start: dt.date,
    tasks: list[dict] | None = None,
    frequency: str = PaymentFrequency.QUARTERLY,
) -> FeeContract:
    """A fixed fee: estimated hours × an hourly basis (900-1,000 kr. in the guide),
    prefilled with the guide's 75-hour example."""
    hourly_basis = Decimal(str(hourly_basis))
    if not HOURLY_MIN <= hourly_basis <= HOURLY_MAX:
        raise DomainError(
            _("The hourly basis in the guide is 900 to 1,000 kr."), field="hourly_basis"
        )
    contract = FeeContract.objects.create(
        cluster=cluster,
        recipient=recipient.strip(),
        role=role.strip(),
        tasks=tasks or GUIDE_TASKS,
        hourly_basis=hourly_basis,
        frequency=frequency,
        start=start,
    )
    audit_log(
        actor=actor,
        action="finance.contract.created",
        target=contract,
        scope=f"cluster:{cluster.pk}",
        data={"recipient": contract.recipient, "yearly_fee": str(contract.yearly_fee)},
    )
    return contract


PAYMENTS_PER_YEAR = {
    PaymentFrequency.MONTHLY: 12,
    PaymentFrequency.QUARTERLY: 4,
    PaymentFrequency.YEARLY: 1,
}


@transaction.atomic
def fee_pay(*, actor: Any, contract: FeeContract, paid_on: dt.date) -> FeePayment:
    """Pay one instalment of the fixed fee and book it as a fee expense."""
    amount = (
        contract.yearly_fee / PAYMENTS_PER_YEAR[PaymentFrequency(contract.frequency)]
    ).quantize(Decimal("0.01"))
    category = (
        "coordinator_fee"
        if "koordinator" in contract.role.lower() or "coordinator" in contract.role.lower()
        else "other_fees"
    )
    booking = ledger.expense_record(
        actor=actor,
        cluster=contract.cluster,
        date=paid_on,
        category=category,
        amount=amount,
        text=_("Fee to %(recipient)s (%(role)s)")
        % {"recipient": contract.recipient, "role": contract.role},
    )
    return FeePayment.objects.create(
        contract=contract, paid_on=paid_on, amount=amount, booking=booking
    )


def fee_report(*, year: int, cluster: Cluster | None = None) -> list[tuple[str, Decimal]]:
    """Fees paid per recipient in `year`, for reporting to the tax authority."""
    payments = FeePayment.objects.filter(paid_on__year=year)
    if cluster is not None:
        payments = payments.filter(contract__cluster=cluster)
    rows = (
        payments.values("contract__recipient")
        .annotate(total=Sum("amount"))
        .order_by("contract__recipient")
    )
    return [(row["contract__recipient"], row["total"]) for row in rows]


# --- Dissolution (FIN-5) ---------------------------------------------------------------------------------


@transaction.atomic
def cluster_dissolve(*, actor: Any, cluster: Cluster, on: dt.date) -> Decimal:
    """Return the remaining funds to the region, close the books and mark the cluster
    dissolved. The history stays readable. Returns the amount returned."""
    if cluster.dissolved is not None:
        raise DomainError(_("The cluster is already dissolved."))
    if on <= cluster.founded:
        raise DomainError(_("A cluster cannot be dissolved before it was founded."))
    accounts = ledger.chart_of_accounts(cluster=cluster)
    remaining = ledger.account_balances(cluster=cluster, until=on).get("1000", Decimal("0"))
    if remaining < 0:
        raise DomainError(
            _("The bank account is overdrawn (%(amount)s kr.); settle it first.")
            % {"amount": remaining}
        )
    if remaining > 0:
        ledger.transaction_post(
            actor=actor,
            cluster=cluster,
            date=on,
            text=_("Remaining funds returned to %(region)s") % {"region": cluster.region.name},
            lines=[(accounts["3000"], remaining), (accounts["1000"], -remaining)],
        )
    cluster.dissolved = on
    cluster.save(update_fields=["dissolved"])
    audit_log(
        actor=actor,
        action="finance.cluster.dissolved",
        target=cluster,
        scope=f"cluster:{cluster.pk}",
        data={"returned": str(remaining), "on": str(on)},
    )
    return remaining
