"""Budgets, annual accounts, fee contracts and the fee report, dissolution (FIN-3..5).

Everything is computed from the ledger: the annual accounts are the year's entries by
account, the balance is the bank account's running total, and the fee report is the
year's booked fee payments per recipient.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.formatting import format_date, format_money
from klynge.core.models import audit_log
from klynge.core.pdf import render_pdf
from klynge.finance import ledger
from klynge.finance.models import (
    Account,
    AccountKind,
    BooksClosure,
    Budget,
    BudgetLine,
    Entry,
    FeeContract,
    FeePayment,
    PaymentFrequency,
    Transaction,
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
def _payer_name(cluster, on: dt.date) -> str:
    """The region the cluster's money goes back to: the one in force on the day."""
    region = cluster.region_on(on)
    return region.name if region is not None else str(_("the region"))


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


def annual_accounts_html(accounts: AnnualAccounts) -> str:
    """The annual accounts as HTML, always in Danish (the document is filed with the
    association and its accountant, whatever language the treasurer reads the site in)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("finance/annual_accounts.html", {"a": accounts})


def annual_accounts_pdf(accounts: AnnualAccounts) -> bytes:
    return render_pdf(annual_accounts_html(accounts), author=accounts.cluster.name)


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


def fee_pay(
    *, actor: Any, contract: FeeContract, paid_on: dt.date, key: uuid.UUID | None = None
) -> FeePayment:
    """Pay one instalment of the fixed fee and book it as a fee expense. A second submit
    of the same form (`key`, unique) returns the first payment instead of paying again —
    also when both arrive at once and the unique key stops the second."""
    try:
        return _fee_pay(actor=actor, contract=contract, paid_on=paid_on, key=key)
    except IntegrityError as exc:
        earlier = FeePayment.objects.filter(key=key, contract=contract).first() if key else None
        if earlier is None:
            # The first submit holds the key but has not committed yet (a double click
            # racing it): it will be recorded once; this one says so instead of failing.
            raise DomainError(
                _("The form was sent twice at once; it is recorded once. Reload the page.")
            ) from exc
        return earlier


@transaction.atomic
def _fee_pay(
    *, actor: Any, contract: FeeContract, paid_on: dt.date, key: uuid.UUID | None
) -> FeePayment:
    list(FeeContract.objects.select_for_update().filter(pk=contract.pk).values_list("pk"))
    if key is not None:
        earlier = FeePayment.objects.filter(key=key).first()
        if earlier is not None:
            if earlier.contract_id != contract.pk:
                raise DomainError(_("The form was already used; reload the page."))
            return earlier
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
    payment = FeePayment.objects.create(
        contract=contract, paid_on=paid_on, amount=amount, booking=booking, key=key
    )
    audit_log(
        actor=actor,
        action="finance.fee.paid",
        target=payment,
        scope=f"cluster:{contract.cluster_id}",
        data={"recipient": contract.recipient, "amount": str(amount), "paid_on": str(paid_on)},
    )
    return payment


@transaction.atomic
def fee_payment_reverse(*, actor: Any, payment: FeePayment, on: dt.date, reason: str) -> FeePayment:
    """Correct a fee payment: a negative payment with the reason (so the fee report
    counts it) and the reversal of its booking. The original stays."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the reversal."), field="reason")
    list(FeeContract.objects.select_for_update().filter(pk=payment.contract_id).values_list("pk"))
    if payment.reverses_id is not None:
        raise DomainError(_("A reversal cannot itself be reversed; pay the instalment again."))
    if FeePayment.objects.filter(reverses=payment).exists():
        raise DomainError(_("The payment has already been reversed."))
    booking = ledger.booking_reverse(actor=actor, booked=payment.booking, date=on, reason=reason)
    reversal = FeePayment.objects.create(
        contract=payment.contract,
        paid_on=on,
        amount=-payment.amount,
        booking=booking,
        reverses=payment,
        reason=reason.strip(),
    )
    audit_log(
        actor=actor,
        action="finance.fee.reversed",
        target=payment,
        scope=f"cluster:{payment.contract.cluster_id}",
        data={"amount": str(payment.amount), "reason": reason.strip()},
    )
    return reversal


def fee_report(*, year: int, cluster: Cluster | None = None) -> list[tuple[str, Decimal]]:
    """Fees paid per recipient in `year`, for reporting to the tax authority; a reversed
    payment counts in the year of its reversal (as in the books)."""
    payments = FeePayment.objects.filter(paid_on__year=year)
    if cluster is not None:
        payments = payments.filter(contract__cluster=cluster)
    rows = (
        payments.values("contract__recipient")
        .annotate(total=Sum("amount"))
        .order_by("contract__recipient")
    )
    return [(row["contract__recipient"], row["total"].quantize(Decimal("0.01"))) for row in rows]


def fee_report_html(*, year: int, cluster: Cluster) -> str:
    """The fee report as HTML, always in Danish (it goes to the tax authority)."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(
            "finance/fee_report.html",
            {"rows": fee_report(year=year, cluster=cluster), "year": year, "cluster": cluster},
        )


def fee_report_pdf(*, year: int, cluster: Cluster) -> bytes:
    return render_pdf(fee_report_html(year=year, cluster=cluster), author=cluster.name)


# --- Dissolution (FIN-5) ---------------------------------------------------------------------------------


@transaction.atomic
def books_close(*, actor: Any, cluster: Cluster, on: dt.date) -> BooksClosure:
    """Dissolve the cluster on `on` and close its books for good, in one transaction.

    The registry owns the dissolution (`registry.dissolution.cluster_dissolve` ends the
    memberships, participation and roles); finance reacts: the bank balance on `on` is
    booked as returned to the region and the closure is recorded. From then on every
    posting is refused (`ledger.transaction_post`), back-dated ones too, so the final
    accounts cannot go negative. Refused while the bank is overdrawn or when something
    is booked after `on`."""
    from klynge.registry.dissolution import cluster_dissolve

    list(Cluster.objects.select_for_update().filter(pk=cluster.pk).values_list("pk"))
    if BooksClosure.objects.filter(cluster=cluster).exists():
        raise DomainError(_("The cluster is already dissolved."))
    accounts = ledger.chart_of_accounts(cluster=cluster)
    later = Transaction.objects.filter(cluster=cluster, date__gt=on).order_by("-date").first()
    if later is not None:
        raise DomainError(
            _(
                "Something is booked after %(d)s (%(text)s, %(later)s); the cluster can be dissolved on its last booking day at the earliest."
            )
            % {"d": format_date(on), "text": later.text, "later": format_date(later.date)},
            field="date",
        )
    remaining = ledger.account_balances(cluster=cluster, until=on).get("1000", Decimal("0"))
    if remaining < 0:
        raise DomainError(
            _("The bank account is overdrawn (%(amount)s); settle it first.")
            % {"amount": format_money(remaining, 2)}
        )
    cluster_dissolve(actor=actor, cluster=cluster, on=on)
    booking = None
    if remaining > 0:
        booking = ledger._post(  # the one posting allowed on closed books: the closing one
            actor=actor,
            cluster=cluster,
            date=on,
            text=_("Remaining funds returned to %(region)s") % {"region": _payer_name(cluster, on)},
            lines=[(accounts["3000"], remaining), (accounts["1000"], -remaining)],
        )
    closure = BooksClosure.objects.create(
        cluster=cluster,
        closed_on=on,
        returned=remaining,
        booking=booking,
        closed_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_log(
        actor=actor,
        action="finance.books.closed",
        target=cluster,
        scope=f"cluster:{cluster.pk}",
        data={"returned": str(remaining), "on": str(on)},
    )
    return closure
