"""FIN-3 bookkeeping: balanced double entry, reversals instead of edits, refused
expense kinds with the reason, and `check_books`."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from klynge.core.errors import DomainError
from klynge.finance import ledger
from klynge.finance.models import Entry, Transaction
from tests.world import build_world

pytestmark = pytest.mark.django_db
DAY = dt.date(2024, 3, 1)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(autouse=True)
def _english():
    """The service messages are checked in English (the Danish page text is a view test)."""
    from django.utils import translation

    with translation.override("en"):
        yield


def test_a_grant_and_an_expense_balance_and_show_in_the_balances(world):
    cluster = world.cluster_a
    ledger.grant_received(actor=None, cluster=cluster, date=DAY, amount=Decimal("327800"))
    ledger.expense_record(
        actor=None,
        cluster=cluster,
        date=DAY,
        text="Mødelokale",
        category="venue",
        amount=Decimal("1250.50"),
    )
    balances = ledger.account_balances(cluster=cluster)
    assert balances["1000"] == Decimal("326549.50")
    assert balances["3000"] == Decimal("-327800.00")
    assert sum(balances.values()) == 0
    assert ledger.books_check() == []


@pytest.mark.parametrize("category", ["transport", "lost_earnings"])
def test_transport_and_lost_earnings_are_refused_with_the_reason_and_nothing_is_written(
    world, category
):
    before = Transaction.objects.count()
    with pytest.raises(DomainError) as refused:
        ledger.expense_record(
            actor=None,
            cluster=world.cluster_a,
            date=DAY,
            text="Kørsel",
            category=category,
            amount=Decimal("300"),
        )
    assert "cannot be paid from the cluster grant" in refused.value.message
    assert Transaction.objects.count() == before


def test_an_unbalanced_transaction_is_refused(world):
    accounts = ledger.chart_of_accounts(cluster=world.cluster_a)
    with pytest.raises(DomainError, match="does not balance"):
        ledger.transaction_post(
            actor=None,
            cluster=world.cluster_a,
            date=DAY,
            text="Fejl",
            lines=[(accounts["1000"], Decimal("100")), (accounts["3000"], Decimal("-99.99"))],
        )
    assert not Transaction.objects.exists()


def test_another_clusters_account_is_refused(world):
    mine = ledger.chart_of_accounts(cluster=world.cluster_a)
    theirs = ledger.chart_of_accounts(cluster=world.cluster_b)
    with pytest.raises(DomainError, match="another cluster"):
        ledger.transaction_post(
            actor=None,
            cluster=world.cluster_a,
            date=DAY,
            text="Forkert",
            lines=[(mine["1000"], Decimal("10")), (theirs["3000"], Decimal("-10"))],
        )


def test_a_reversal_corrects_without_editing_and_keeps_the_books_balanced(world):
    booked = ledger.expense_record(
        actor=None,
        cluster=world.cluster_a,
        date=DAY,
        text="Forplejning",
        category="catering",
        amount=Decimal("800"),
    )
    reversal = ledger.transaction_reverse(
        actor=None, booked=booked, date=DAY, reason="forkert beløb"
    )
    assert reversal.reverses == booked
    assert set(Entry.objects.filter(transaction=booked).values_list("amount", flat=True)) == {
        Decimal("800"),
        Decimal("-800"),
    }
    assert all(v == 0 for v in ledger.account_balances(cluster=world.cluster_a).values())
    with pytest.raises(DomainError, match="already been reversed"):
        ledger.transaction_reverse(actor=None, booked=booked, date=DAY, reason="igen")
    with pytest.raises(DomainError, match="cannot itself be reversed"):
        ledger.transaction_reverse(actor=None, booked=reversal, date=DAY, reason="igen")
    call_command("check_books")


def test_check_books_finds_an_unbalanced_transaction_written_behind_the_services_back(world):
    accounts = ledger.chart_of_accounts(cluster=world.cluster_a)
    broken = Transaction.objects.create(
        cluster=world.cluster_a, date=DAY, text="Direkte i databasen"
    )
    Entry.objects.create(transaction=broken, account=accounts["1000"], amount=Decimal("5"))
    assert any(f"transaction {broken.pk}" in p for p in ledger.books_check())
    with pytest.raises(CommandError):
        call_command("check_books")
