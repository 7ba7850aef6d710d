"""Demo books for the synthetic register, placed around the demo's day (`today`):
every cluster's grants as paid by its region (the founding year's from the first turn
of the month after completion, later years on 1 January) up to `today`, this year's
budget, and last year's and this year's meeting expenses, all balanced double entry.

Since 1 April 2023 Danish clusters' funds are held centrally: each cluster has its own
account with PLO's cluster administration, and its expenses are claimed with a receipt
and decided by the secretariat (`finance/claims.py`). The demo moves every cluster to
central administration on that date (an audit entry dated 1 April 2023), books its
expenses since then as paid claims, and leaves the newest claims (the last three weeks)
waiting for the secretariat's decision. Written in bulk; `check_books` verifies them."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.utils import timezone

from klynge.core.models import AuditEntry, audit_scope_of
from klynge.core.pdf import simple_pdf
from klynge.finance import ledger
from klynge.finance.models import (
    Account,
    Administration,
    BooksClosure,
    Budget,
    BudgetLine,
    ClaimStatus,
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
from klynge.finance.schemes import install_default_schemes
from klynge.finance.selectors import grant_rows
from klynge.registry.models import Cluster

CENTRAL_FROM = dt.date(2023, 4, 1)  # funds held by PLO's cluster administration from here
RECEIPT = "claims/demo-kvittering.pdf"  # one example receipt shared by the demo's claims
WAITING_DAYS = 21  # claims of the last three weeks still wait for the secretariat
# (category, text, low, high) per meeting; amounts in whole kroner.
MEETING_COSTS = (
    ("venue", "Mødelokale", 800, 3000),
    ("catering", "Forplejning", 1500, 6000),
)
BUDGET = {"venue": 9_000, "catering": 18_000, "speaker_fee": 10_000, "coordinator_fee": 67_500}


def _noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))


@transaction.atomic
def generate_books(*, seed: int = 1, today: dt.date | None = None) -> None:
    today = today or timezone.localdate()
    # A flushed test database has lost the migration's row; a demo of another
    # jurisdiction than the migration's has the other's scheme.
    install_default_schemes(GrantScheme)
    rng = random.Random(seed + 31337)
    clusters = list(Cluster.objects.order_by("id"))
    accounts = {c.pk: ledger.chart_of_accounts(cluster=c) for c in clusters}
    planned: list[tuple[Transaction, list[tuple[Account, Decimal]]]] = []
    payouts: list[tuple[Payout, int]] = []  # each with its booking's place in `planned`
    payers: dict[tuple[int, dt.date], str] = {}

    def payer(cluster: Cluster, on: dt.date) -> str:
        """The region in force on the payout date pays (dated geography)."""
        key = (cluster.municipality_id, on)
        if key not in payers:
            region = cluster.region_on(on)
            payers[key] = region.name if region else "regionen"
        return payers[key]

    for year in range(2017, today.year + 1):
        for row in grant_rows(year=year):
            due_on = row.due_on(year)
            if due_on is None or row.grant.total <= 0 or due_on > today:
                continue
            chart = accounts[row.cluster.pk]
            where = (
                " (klyngens konto i PLO's klyngeadministration)" if due_on >= CENTRAL_FROM else ""
            )
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
                        text=f"Tilskud {year} fra {payer(row.cluster, due_on)}{where}",
                    ),
                    [(chart["1000"], row.grant.total), (chart["3000"], -row.grant.total)],
                )
            )
    # Meeting expenses of last year and this year up to today: paid claims, except the
    # newest, which wait for the secretariat's decision (not booked until paid).
    claims: list[tuple[ExpenseClaim, int | None]] = []
    for cluster in clusters:
        chart = accounts[cluster.pk]
        by_category = {a.category: a for a in chart.values() if a.category}
        for year in (today.year - 1, today.year):
            for quarter in range(4):
                day = dt.date(year, 3 * quarter + 2, 10 + rng.randrange(15))
                for category, text, low, high in MEETING_COSTS:
                    amount = Decimal(rng.randrange(low, high))
                    if day >= today:
                        continue
                    label = f"{text}, klyngemøde {quarter + 1}"
                    claim = ExpenseClaim(
                        cluster=cluster,
                        date=day,
                        text=label,
                        category=category,
                        amount=amount,
                        payee=f"{cluster.municipality.name} Konferencecenter",
                        receipt=RECEIPT,
                    )
                    if day > today - dt.timedelta(days=WAITING_DAYS):
                        claims.append((claim, None))
                        continue
                    paid_on = day + dt.timedelta(days=7 + rng.randrange(14))
                    paid_on = min(paid_on, today - dt.timedelta(days=1))
                    claim.status = ClaimStatus.PAID
                    claim.decided = _noon(paid_on - dt.timedelta(days=2))
                    claims.append((claim, len(planned)))
                    planned.append(
                        (
                            Transaction(
                                cluster=cluster,
                                date=paid_on,
                                text=f"Udlæg: {label} (til {claim.payee})",
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
    for claim, at in claims:
        if at is not None:
            claim.booking = created[at]
    written = ExpenseClaim.objects.bulk_create([c for c, _p in claims], batch_size=2000)
    for claim in written:  # submitted when the expense was made, not when generated
        claim.submitted = _noon(claim.date + dt.timedelta(days=1))
    ExpenseClaim.objects.bulk_update(written, ["submitted"], batch_size=2000)
    if claims:
        if default_storage.exists(RECEIPT):
            default_storage.delete(RECEIPT)
        default_storage.save(
            RECEIPT,
            ContentFile(simple_pdf(["Kvittering", "", "Eksempel fra Klynges syntetiske data."])),
        )
    _central_administration(clusters, today)
    _budgets(clusters, accounts, today)


def _central_administration(clusters: list[Cluster], today: dt.date) -> None:
    """Every cluster's funds held centrally from 1 April 2023, recorded on that date."""
    if today < CENTRAL_FROM:
        return
    ClusterFinance.objects.bulk_create(
        ClusterFinance(cluster=c, administration=Administration.CENTRAL) for c in clusters
    )
    AuditEntry.objects.bulk_create(
        AuditEntry(
            at=_noon(CENTRAL_FROM),
            action="finance.administration.changed",
            scope=audit_scope_of(c),
            object_type="registry.cluster",
            object_id=str(c.pk),
            object_repr=str(c)[:200],
            data={"administration": Administration.CENTRAL},
        )
        for c in clusters
    )


def _budgets(clusters: list[Cluster], accounts: dict[int, dict[str, Account]], today: dt.date):
    """This year's budget, adopted at the start of the year."""
    adopted = min(dt.date(today.year, 1, 15), today)
    budgets = Budget.objects.bulk_create(
        Budget(cluster=c, year=today.year, adopted_on=adopted) for c in clusters
    )
    lines = []
    for budget in budgets:
        by_category = {a.category: a for a in accounts[budget.cluster_id].values() if a.category}
        lines += [
            BudgetLine(budget=budget, account=by_category[category], amount=Decimal(amount))
            for category, amount in BUDGET.items()
        ]
    BudgetLine.objects.bulk_create(lines, batch_size=5000)


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
