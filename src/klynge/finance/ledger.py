"""Bookkeeping services (FIN-3): every transaction balances, corrections are reversals,
money is Decimal, and expenses the grant may not pay for are refused with the reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction as db_transaction
from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klynge.core import uploads
from klynge.core.errors import DomainError
from klynge.core.formatting import format_date
from klynge.core.models import audit_log
from klynge.finance.models import (
    Account,
    AccountKind,
    Entry,
    ExpenseCategory,
    StatementImport,
    Transaction,
)
from klynge.registry.models import Cluster

# FIN-3: the guide says lost earnings and transport to attend meetings are not covered.
REFUSED_EXPENSES = {
    "lost_earnings": gettext_lazy(
        "Lost earnings for attending meetings cannot be paid from the cluster grant: taking part in the cluster "
        "is part of the GP agreement."
    ),
    "transport": gettext_lazy(
        "Transport to attend meetings cannot be paid from the cluster grant: each doctor covers their own "
        "transport."
    ),
}

DEFAULT_ACCOUNTS = [
    ("1000", "Bank", AccountKind.ASSET, ""),
    ("2000", "Skyldige omkostninger", AccountKind.LIABILITY, ""),
    ("3000", "Tilskud fra regionen", AccountKind.INCOME, ""),
    ("3900", "Øvrige indtægter", AccountKind.INCOME, ""),
    *[
        (f"4{i:03d}", str(label), AccountKind.EXPENSE, value)
        for i, (value, label) in enumerate(ExpenseCategory.choices, start=1)
    ],
    ("5000", "Egenkapital", AccountKind.EQUITY, ""),
]


def chart_of_accounts(*, cluster: Cluster) -> dict[str, Account]:
    """The cluster's accounts, created with the standard chart on first use."""
    existing = {a.code: a for a in Account.objects.filter(cluster=cluster)}
    missing = [
        Account(cluster=cluster, code=code, name=name, kind=kind, category=category)
        for code, name, kind, category in DEFAULT_ACCOUNTS
        if code not in existing
    ]
    if missing:
        Account.objects.bulk_create(missing)
        existing = {a.code: a for a in Account.objects.filter(cluster=cluster)}
    return existing


def books_closed(cluster: Cluster) -> bool:
    """Whether the cluster is dissolved, so its books are closed for good (read from the
    database, not from a possibly stale instance)."""
    return Cluster.objects.filter(pk=cluster.pk, dissolved__isnull=False).exists()


@db_transaction.atomic
def transaction_post(
    *,
    actor: Any,
    cluster: Cluster,
    date: dt.date,
    text: str,
    lines: list[tuple[Account, Decimal]],
    receipt=None,
    reverses: Transaction | None = None,
    source: StatementImport | None = None,
) -> Transaction:
    """Book a balanced transaction. Refuses unbalanced lines, zero amounts, accounts
    of another cluster, and any posting — whatever its date, reversals too — once the
    cluster is dissolved: the final accounts stay as they were closed."""
    if books_closed(cluster):
        cluster.refresh_from_db(fields=["dissolved"])
        raise DomainError(
            _("The cluster was dissolved on %(d)s; its books are closed.")
            % {"d": format_date(cluster.dissolved)}
        )
    return _post(
        actor=actor,
        cluster=cluster,
        date=date,
        text=text,
        lines=lines,
        receipt=receipt,
        reverses=reverses,
        source=source,
    )


def _post(
    *,
    actor: Any,
    cluster: Cluster,
    date: dt.date,
    text: str,
    lines: list[tuple[Account, Decimal]],
    receipt=None,
    reverses: Transaction | None = None,
    source: StatementImport | None = None,
) -> Transaction:
    """`transaction_post` without the closed-books check: only for the closing booking
    of a dissolution (`accounts.books_close`)."""
    if not text.strip():
        raise DomainError(_("Describe the transaction."))
    amounts = [Decimal(str(amount)) for _account, amount in lines]
    if len(lines) < 2 or any(a == 0 for a in amounts):
        raise DomainError(_("A transaction needs at least two lines, none of them zero."))
    if sum(amounts) != 0:
        raise DomainError(
            _("The transaction does not balance: debit and credit differ by %(d)s.")
            % {"d": sum(amounts)}
        )
    if any(account.cluster_id != cluster.pk for account, _amount in lines):
        raise DomainError(_("An account belongs to another cluster."))
    if receipt is not None:
        receipt = uploads.checked_receipt(receipt)
    booked = Transaction.objects.create(
        cluster=cluster,
        date=date,
        text=text.strip(),
        created_by=actor,
        reverses=reverses,
        source=source,
    )
    if receipt is not None:
        booked.receipt.save(f"{cluster.slug}-{booked.pk}-{receipt.name}"[-120:], receipt, save=True)
    Entry.objects.bulk_create(
        Entry(transaction=booked, account=a, amount=amt)
        for (a, _x), amt in zip(lines, amounts, strict=True)
    )
    audit_log(
        actor=actor,
        action="finance.transaction.posted",
        target=booked,
        scope=f"cluster:{cluster.pk}",
        data={"text": booked.text, "amount": str(sum(a for a in amounts if a > 0))},
    )
    return booked


def expense_record(
    *,
    actor: Any,
    cluster: Cluster,
    date: dt.date,
    text: str,
    category: str,
    amount: Decimal,
    receipt=None,
) -> Transaction:
    """An expense paid from the bank account, in one of the allowed categories."""
    if category in REFUSED_EXPENSES:
        raise DomainError(str(REFUSED_EXPENSES[category]), field="category")
    if category not in ExpenseCategory.values:
        raise DomainError(_("Choose a category for the expense."), field="category")
    amount = Decimal(str(amount))
    if amount <= 0:
        raise DomainError(_("The amount must be more than 0 kr."), field="amount")
    accounts = chart_of_accounts(cluster=cluster)
    expense = next(a for a in accounts.values() if a.category == category)
    return transaction_post(
        actor=actor,
        cluster=cluster,
        date=date,
        text=text,
        lines=[(expense, amount), (accounts["1000"], -amount)],
        receipt=receipt,
    )


def grant_received(
    *, actor: Any, cluster: Cluster, date: dt.date, amount: Decimal, text: str = ""
) -> Transaction:
    """Book grant income on the bank. What is *paid* is recorded by `Payout`s
    (`services.payout_record`), which call this for their booking."""
    accounts = chart_of_accounts(cluster=cluster)
    amount = Decimal(str(amount))
    return transaction_post(
        actor=actor,
        cluster=cluster,
        date=date,
        text=text or _("Grant from the region"),
        lines=[(accounts["1000"], amount), (accounts["3000"], -amount)],
    )


@db_transaction.atomic
def transaction_reverse(
    *, actor: Any, booked: Transaction, date: dt.date, reason: str
) -> Transaction:
    """Correct a transaction by booking its mirror image; the original stays. A grant
    payout's or a fee payment's booking is corrected through that payout or payment
    (`services.payout_reverse`, `accounts.fee_payment_reverse`), so what is paid and
    what is booked cannot drift apart."""
    from klynge.finance.models import FeePayment, Payout

    if Payout.objects.filter(booking=booked).exists():
        raise DomainError(_("This is a grant payout: the region reverses it on the grants page."))
    if FeePayment.objects.filter(booking=booked).exists():
        raise DomainError(_("This is a fee payment: reverse it on the fee contracts page."))
    return booking_reverse(actor=actor, booked=booked, date=date, reason=reason)


def booking_reverse(*, actor: Any, booked: Transaction, date: dt.date, reason: str) -> Transaction:
    """The mirror booking itself, for the services that own a booking (payouts, fee
    payments). Call inside their transaction."""
    if not reason.strip():
        raise DomainError(_("Give the reason for the reversal."), field="reason")
    if booked.reverses_id is not None:
        raise DomainError(
            _("A reversal cannot itself be reversed; book the transaction again instead.")
        )
    # Lock the original so two reversals of it cannot both pass the check below.
    list(Transaction.objects.select_for_update().filter(pk=booked.pk).values_list("pk"))
    if Transaction.objects.filter(reverses=booked).exists():
        raise DomainError(_("The transaction has already been reversed."))
    lines = [(e.account, -e.amount) for e in booked.entries.select_related("account")]
    return transaction_post(
        actor=actor,
        cluster=booked.cluster,
        date=date,
        text=_("Reversal of “%(text)s”: %(reason)s")
        % {"text": booked.text, "reason": reason.strip()},
        lines=lines,
        reverses=booked,
    )


def account_balances(*, cluster: Cluster, until: dt.date | None = None) -> dict[str, Decimal]:
    entries = Entry.objects.filter(account__cluster=cluster)
    if until is not None:
        entries = entries.filter(transaction__date__lte=until)
    totals = entries.values("account__code").annotate(total=Sum("amount"))
    return {row["account__code"]: row["total"] for row in totals}


def books_check(*, cluster: Cluster | None = None) -> list[str]:
    """Every problem found: unbalanced transactions, transactions without two lines,
    entries on another cluster's accounts. Empty when the books are in order."""
    problems = []
    transactions = Transaction.objects.all()
    if cluster is not None:
        transactions = transactions.filter(cluster=cluster)
    unbalanced = transactions.annotate(total=Sum("entries__amount"), lines=Count("entries")).filter(
        ~Q(total=0) | Q(lines__lt=2)
    )
    for t in unbalanced:
        problems.append(
            f"transaction {t.pk} ({t.cluster_id}, {t.date}): lines {t.lines}, sum {t.total}"
        )
    foreign = Entry.objects.filter(transaction__in=transactions).exclude(
        account__cluster=F("transaction__cluster")
    )
    for e in foreign:
        problems.append(f"entry {e.pk}: account {e.account_id} belongs to another cluster")
    return problems
