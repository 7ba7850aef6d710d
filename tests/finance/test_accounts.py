"""Budget, annual accounts (PDF), fee contracts and report, dissolution."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from klynge.core.errors import DomainError
from klynge.finance import accounts, ledger
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    with translation.override("en"):
        yield build_world()


def test_the_guides_contract_is_75_hours_and_a_fixed_fee(world):
    contract = accounts.contract_create(
        actor=None,
        cluster=world.cluster_a,
        recipient="Ulla Friis",
        role="Klyngekoordinator",
        hourly_basis=Decimal("950"),
        start=dt.date(2024, 1, 1),
    )
    assert contract.hours == 75
    assert contract.yearly_fee == Decimal("71250")
    with pytest.raises(DomainError):
        accounts.contract_create(
            actor=None,
            cluster=world.cluster_a,
            recipient="X",
            role="Sekretær",
            hourly_basis=Decimal("1200"),
            start=dt.date(2024, 1, 1),
        )


def test_fee_instalments_are_booked_and_reported_per_recipient(world):
    contract = accounts.contract_create(
        actor=None,
        cluster=world.cluster_a,
        recipient="Ulla Friis",
        role="Klyngekoordinator",
        hourly_basis=Decimal("950"),
        start=dt.date(2024, 1, 1),
    )
    for month in (3, 6, 9, 12):
        accounts.fee_pay(actor=None, contract=contract, paid_on=dt.date(2024, month, 28))
    assert accounts.fee_report(year=2024, cluster=world.cluster_a) == [
        ("Ulla Friis", Decimal("71250.00"))
    ]
    balances = ledger.account_balances(cluster=world.cluster_a)
    fee_account = next(
        a
        for a in ledger.chart_of_accounts(cluster=world.cluster_a).values()
        if a.category == "coordinator_fee"
    )
    assert balances[fee_account.code] == Decimal("71250.00")
    assert ledger.books_check() == []


def test_annual_accounts_against_the_budget_and_as_pdf(world):
    cluster = world.cluster_a
    accounts.budget_adopt(
        actor=None,
        cluster=cluster,
        year=2024,
        amounts={"3000": Decimal("150000"), "4003": Decimal("5000")},
        adopted_on=dt.date(2024, 3, 15),
    )
    ledger.grant_received(
        actor=None, cluster=cluster, date=dt.date(2024, 1, 2), amount=Decimal("121632")
    )
    ledger.expense_record(
        actor=None,
        cluster=cluster,
        date=dt.date(2024, 5, 1),
        text="Lokale",
        category="venue",
        amount=Decimal("4200"),
    )
    result = accounts.annual_accounts(cluster=cluster, year=2024)
    assert result.income_total == Decimal("121632") and result.expense_total == Decimal("4200")
    assert result.result == Decimal("117432")
    assert (result.opening_bank, result.closing_bank) == (0, Decimal("117432"))
    grant_line = next(line for line in result.income if line.account.code == "3000")
    assert grant_line.budget == Decimal("150000")
    with translation.override("da"):
        pdf = accounts.annual_accounts_pdf(result)
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert "Køgeklyngen" in text and "117.432" in text and "Årsregnskab" in text


def test_members_read_the_annual_accounts_but_not_the_books(world, client):
    assert client.login(email="laege@a.test", password=PASSWORD)
    pdf = client.get(reverse("finance:annual_accounts", args=[world.cluster_a.slug, 2024]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert client.get(reverse("finance:books", args=[world.cluster_a.slug])).status_code == 404


def test_dissolution_returns_the_funds_and_closes_the_books(world):
    cluster = world.cluster_a
    ledger.grant_received(
        actor=None, cluster=cluster, date=dt.date(2024, 1, 2), amount=Decimal("50000")
    )
    ledger.expense_record(
        actor=None,
        cluster=cluster,
        date=dt.date(2024, 2, 1),
        text="Mad",
        category="catering",
        amount=Decimal("1500"),
    )
    closure = accounts.books_close(actor=None, cluster=cluster, on=dt.date(2024, 12, 31))
    assert closure.returned == Decimal("48500")
    assert ledger.account_balances(cluster=cluster)["1000"] == 0
    cluster.refresh_from_db()
    assert cluster.dissolved == dt.date(2024, 12, 31)
    with pytest.raises(DomainError, match="books are closed"):
        ledger.expense_record(
            actor=None,
            cluster=cluster,
            date=dt.date(2025, 1, 5),
            text="For sent",
            category="venue",
            amount=Decimal("10"),
        )
    assert ledger.books_check() == []
    assert cluster.transactions.count() == 3  # the history stays readable


def test_dissolved_books_refuse_back_dated_postings_so_the_final_bank_is_never_negative(world):
    """Before: only postings dated on or after the dissolution were refused, so an
    expense dated the day before drove the final accounts' bank below zero."""
    cluster = world.cluster_a
    ledger.grant_received(
        actor=None, cluster=cluster, date=dt.date(2024, 1, 2), amount=Decimal("1000")
    )
    accounts.books_close(actor=None, cluster=cluster, on=dt.date(2024, 12, 31))
    with pytest.raises(DomainError, match="books are closed"):
        ledger.expense_record(
            actor=None,
            cluster=cluster,
            date=dt.date(2024, 12, 30),
            text="Efterbetaling",
            category="venue",
            amount=Decimal("400"),
        )
    final = accounts.annual_accounts(cluster=cluster, year=2024)
    assert final.closing_bank == 0


def test_dissolution_is_refused_with_bookings_after_the_date(world):
    cluster = world.cluster_a
    ledger.grant_received(
        actor=None, cluster=cluster, date=dt.date(2024, 6, 1), amount=Decimal("1000")
    )
    with pytest.raises(DomainError, match="booked after"):
        accounts.books_close(actor=None, cluster=cluster, on=dt.date(2024, 5, 31))
    cluster.refresh_from_db()
    assert cluster.dissolved is None


def test_a_double_click_pays_a_fee_instalment_once(world):
    """Before: each submit booked another instalment."""
    import uuid

    contract = accounts.contract_create(
        actor=None,
        cluster=world.cluster_a,
        recipient="Ulla Friis",
        role="Klyngekoordinator",
        hourly_basis=Decimal("1000"),
        start=dt.date(2024, 1, 1),
    )
    key = uuid.uuid4()
    first = accounts.fee_pay(actor=None, contract=contract, paid_on=dt.date(2024, 3, 31), key=key)
    second = accounts.fee_pay(actor=None, contract=contract, paid_on=dt.date(2024, 3, 31), key=key)
    assert first.pk == second.pk
    assert contract.payments.count() == 1
    assert ledger.account_balances(cluster=world.cluster_a)["1000"] == Decimal("-18750.00")


def test_a_reversed_fee_payment_reaches_the_fee_report(world):
    """Before: a reversal in the books left the fee report counting the payment."""
    contract = accounts.contract_create(
        actor=None,
        cluster=world.cluster_a,
        recipient="Ulla Friis",
        role="Klyngekoordinator",
        hourly_basis=Decimal("1000"),
        start=dt.date(2024, 1, 1),
    )
    kept = accounts.fee_pay(actor=None, contract=contract, paid_on=dt.date(2024, 3, 31))
    wrong = accounts.fee_pay(actor=None, contract=contract, paid_on=dt.date(2024, 4, 2))
    with pytest.raises(DomainError, match="reason"):
        accounts.fee_payment_reverse(actor=None, payment=wrong, on=dt.date(2024, 4, 3), reason="")
    accounts.fee_payment_reverse(
        actor=None, payment=wrong, on=dt.date(2024, 4, 3), reason="betalt to gange"
    )
    assert accounts.fee_report(year=2024, cluster=world.cluster_a) == [("Ulla Friis", kept.amount)]
    assert ledger.account_balances(cluster=world.cluster_a)["1000"] == -kept.amount
    with pytest.raises(DomainError, match="already been reversed"):
        accounts.fee_payment_reverse(
            actor=None, payment=wrong, on=dt.date(2024, 4, 3), reason="igen"
        )
    # The booking belongs to the payment: the books page cannot reverse it behind its back.
    with pytest.raises(DomainError, match="fee payment"):
        ledger.transaction_reverse(
            actor=None, booked=kept.booking, date=dt.date(2024, 4, 3), reason="x"
        )


def test_finance_pdfs_are_in_danish_whatever_the_readers_language(world):
    """Before: the annual accounts and fee report followed the request's language."""
    with translation.override("en"):
        html = accounts.annual_accounts_html(
            accounts.annual_accounts(cluster=world.cluster_a, year=2024)
        )
        fees = accounts.fee_report_html(year=2024, cluster=world.cluster_a)
    with translation.override("da"):
        income, fee_report = translation.gettext("Income"), translation.gettext("Fee report")
    assert income != "Income" and fee_report != "Fee report"
    assert f"<h2>{income}</h2>" in html and "<h2>Income</h2>" not in html
    assert f"<h1>{fee_report} 2024</h1>" in fees


def test_central_administration_claims_are_decided_with_a_reason_and_paid_into_the_books(world):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from klynge.finance import claims

    receipt = SimpleUploadedFile("bon.pdf", b"%PDF-1.4 bon")
    with pytest.raises(DomainError, match="Transport"):
        claims.claim_submit(
            actor=None,
            cluster=world.cluster_a,
            date=dt.date(2024, 2, 1),
            text="Kørsel",
            category="transport",
            amount=Decimal("300"),
            payee="Læge",
            receipt=receipt,
        )
    claim = claims.claim_submit(
        actor=None,
        cluster=world.cluster_a,
        date=dt.date(2024, 2, 1),
        text="Forplejning",
        category="catering",
        amount=Decimal("950"),
        payee="Café",
        receipt=receipt,
    )
    with pytest.raises(DomainError, match="Only an approved"):
        claims.claim_pay(actor=None, claim=claim, paid_on=dt.date(2024, 2, 10))
    with pytest.raises(DomainError, match="reason"):
        claims.claim_decide(actor=None, claim=claim, approve=False, reason="")
    claims.claim_decide(actor=None, claim=claim, approve=True)
    claims.claim_pay(actor=None, claim=claim, paid_on=dt.date(2024, 2, 10))
    claim.refresh_from_db()
    assert claim.status == "paid" and claim.booking is not None
    assert ledger.account_balances(cluster=world.cluster_a)["1000"] == Decimal("-950")
    other = claims.claim_submit(
        actor=None,
        cluster=world.cluster_a,
        date=dt.date(2024, 3, 1),
        text="Gave",
        category="materials",
        amount=Decimal("500"),
        payee="Butik",
        receipt=receipt,
    )
    claims.claim_decide(actor=None, claim=other, approve=False, reason="Gaver dækkes ikke")
    other.refresh_from_db()
    assert (other.status, other.reason) == ("rejected", "Gaver dækkes ikke")


def test_two_fee_submits_at_once_stopped_by_the_unique_key_pay_once(world, monkeypatch):
    """The race a row lock cannot stop on SQLite: both requests passed the key check
    before either wrote; the unique key stops the second, which returns the first."""
    import uuid

    from klynge.finance.models import FeePayment

    contract = accounts.contract_create(
        actor=None,
        cluster=world.cluster_a,
        recipient="Ulla Friis",
        role="Klyngekoordinator",
        hourly_basis=Decimal("1000"),
        start=dt.date(2024, 1, 1),
    )
    key = uuid.uuid4()
    first = accounts.fee_pay(actor=None, contract=contract, paid_on=dt.date(2024, 3, 31), key=key)
    real_filter = FeePayment.objects.filter

    class Blind:  # the second request's key check ran before the first one committed
        def first(self):
            return None

    monkeypatch.setattr(
        FeePayment.objects,
        "filter",
        lambda **kw: Blind() if set(kw) == {"key"} else real_filter(**kw),
    )
    second = accounts.fee_pay(actor=None, contract=contract, paid_on=dt.date(2024, 3, 31), key=key)
    assert second.pk == first.pk
    assert real_filter(contract=contract).count() == 1
    assert ledger.account_balances(cluster=world.cluster_a)["1000"] == -first.amount
