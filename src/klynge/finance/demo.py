"""Demo books for the synthetic register: every cluster's grants as paid by its region
(the founding year's from the first turn of the month after completion, later years on
1 January) and a year of ordinary meeting expenses, all balanced double entry. Written
in bulk; `check_books` verifies them."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db import connection, transaction

from klynge.finance import ledger
from klynge.finance.models import (
    Account,
    BooksClosure,
    Budget,
    BudgetLine,
    ClusterFinance,
    Entry,
    ExpenseClaim,
    FeeContract,
    FeePayment,
    GrantScheme,
    Payout,
    StatementImport,
    Transaction,
)
from klynge.finance.schemes import ensure_default_scheme
from klynge.finance.selectors import grant_rows
from klynge.registry.dataset import REFERENCE_DATE
from klynge.registry.models import Cluster

LAST_YEAR = REFERENCE_DATE.year - 1


@transaction.atomic
def generate_books(*, seed: int = 1) -> None:
    ensure_default_scheme(GrantScheme)  # a flushed test database has lost the migration's row
    rng = random.Random(seed + 31337)
    clusters = list(Cluster.objects.order_by("id"))
    accounts = {c.pk: ledger.chart_of_accounts(cluster=c) for c in clusters}
    planned: list[tuple[Transaction, list[tuple[Account, Decimal]]]] = []
    payouts: list[tuple[Payout, int]] = []  # each with its booking's place in `planned`
    for year in range(2017, LAST_YEAR + 1):
        for row in grant_rows(year=year):
            due_on = row.due_on(year)
            if due_on is None or row.grant.total <= 0 or due_on > dt.date(LAST_YEAR, 12, 31):
                continue
            chart = accounts[row.cluster.pk]
            payouts.append(
                (
                    Payout(cluster=row.cluster, year=year, amount=row.grant.total, paid_on=due_on),
                    len(planned),
                )
            )
            planned.append(
                (
                    Transaction(
                        cluster=row.cluster,
                        date=due_on,
                        text=f"Tilskud {year} fra {row.cluster.region.name}",
                    ),
                    [(chart["1000"], row.grant.total), (chart["3000"], -row.grant.total)],
                )
            )
    for cluster in clusters:
        chart = accounts[cluster.pk]
        by_category = {a.category: a for a in chart.values() if a.category}
        for quarter in range(4):  # four meetings in the last full year
            day = dt.date(LAST_YEAR, 3 * quarter + 2, 10 + rng.randrange(15))
            for category, text, low, high in (
                ("venue", "Mødelokale", 800, 3000),
                ("catering", "Forplejning", 1500, 6000),
            ):
                amount = Decimal(rng.randrange(low, high))
                planned.append(
                    (
                        Transaction(
                            cluster=cluster, date=day, text=f"{text}, klyngemøde {quarter + 1}"
                        ),
                        [(by_category[category], amount), (chart["1000"], -amount)],
                    )
                )
    created = Transaction.objects.bulk_create([t for t, _lines in planned], batch_size=2000)
    for payout, position in payouts:
        payout.booking = created[position]  # payouts are the record of paid, with their booking
    Payout.objects.bulk_create([payout for payout, _position in payouts], batch_size=2000)
    Entry.objects.bulk_create(
        (
            Entry(transaction=t, account=account, amount=amount)
            for t, (_t, lines) in zip(created, planned, strict=True)
            for account, amount in lines
        ),
        batch_size=5000,
    )


def clear_books() -> None:
    with connection.cursor() as cursor:
        for model in (
            BooksClosure,
            FeePayment,
            Entry,
            ExpenseClaim,
            Transaction,
            StatementImport,
            FeeContract,
            BudgetLine,
            Budget,
            Payout,
            ClusterFinance,
            Account,
        ):
            cursor.execute(f'DELETE FROM "{model._meta.db_table}"')
