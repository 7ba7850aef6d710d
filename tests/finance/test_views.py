"""Economy pages as their users drive them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from klynge.finance import ledger
from klynge.finance.models import Payout, Transaction
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def login(client, email):
    assert client.login(email=email, password=PASSWORD)


def test_a_refused_transport_expense_says_why_and_writes_nothing(world, client):
    login(client, "kasserer@a.test")
    url = reverse("finance:books", args=[world.cluster_a.slug])
    response = client.post(
        url,
        {
            "date": "01-03-2024",
            "text": "Kørsel til møde",
            "category": "transport",
            "amount": "350,00",
        },
    )
    assert response.status_code == 200
    assert "kan ikke betales af klyngetilskuddet" in response.content.decode()
    assert not Transaction.objects.exists()
    ok = client.post(
        url, {"date": "01-03-2024", "text": "Mødelokale", "category": "venue", "amount": "1.250,50"}
    )
    assert ok.status_code == 302
    assert ledger.account_balances(cluster=world.cluster_a)["1000"] == Decimal("-1250.50")


def test_a_member_of_another_cluster_gets_404_on_the_books(world, client):
    login(client, "laege@b.test")
    assert client.get(reverse("finance:books", args=[world.cluster_a.slug])).status_code == 404


def test_reversal_from_the_page_keeps_the_books_balanced(world, client):
    login(client, "koordinator@a.test")
    booked = ledger.expense_record(
        actor=None,
        cluster=world.cluster_a,
        date=world.cluster_a.founded,
        text="Mad",
        category="catering",
        amount=Decimal("400"),
    )
    client.post(
        reverse("finance:books", args=[world.cluster_a.slug]),
        {"reverse": booked.pk, "reason": "fejl"},
    )
    assert Transaction.objects.filter(reverses=booked).exists()
    assert ledger.books_check() == []


def test_a_region_records_a_payout_booked_as_income_but_not_for_another_region(world, client):
    login(client, "region@sjaelland.test")
    page = client.get(reverse("finance:grants"), {"aar": "2019"})
    assert [r.cluster.name for r, _due in page.context["rows"]] == ["Køgeklyngen"]
    data = {
        "cluster": world.cluster_a.pk,
        "year": 2019,
        "amount": "100.000,00",
        "paid_on": "01-06-2019",
    }
    assert client.post(reverse("finance:payout.create"), data).status_code == 302
    assert Payout.objects.get().amount == Decimal("100000")
    assert ledger.account_balances(cluster=world.cluster_a)["3000"] == Decimal("-100000")
    other = {**data, "cluster": world.cluster_b.pk}
    assert client.post(reverse("finance:payout.create"), other).status_code == 404
    assert Payout.objects.count() == 1


def test_budget_adopted_from_the_books_page_and_shown_against_actual(world, client):
    login(client, "kasserer@a.test")
    url = reverse("finance:books", args=[world.cluster_a.slug])
    response = client.post(
        f"{url}?aar=2024",
        {
            "action": "budget",
            "adopted_on": "15-03-2024",
            "budget_3000": "150.000,00",
            "budget_4003": "5.000",
        },
    )
    assert response.status_code == 302
    page = client.get(url, {"aar": "2024"})
    assert page.context["budget"] == {"3000": Decimal("150000.00"), "4003": Decimal("5000.00")}
    assert str(page.context["budget_adopted"]) == "2024-03-15"


def test_dissolution_from_the_page_needs_confirmation(world, client):
    login(client, "koordinator@a.test")
    ledger.grant_received(
        actor=None, cluster=world.cluster_a, date=world.cluster_a.founded, amount=Decimal("1000")
    )
    url = reverse("finance:books", args=[world.cluster_a.slug])
    client.post(url, {"action": "dissolve", "date": "31-12-2024"})
    world.cluster_a.refresh_from_db()
    assert world.cluster_a.dissolved is None
    client.post(url, {"action": "dissolve", "date": "31-12-2024", "confirm": "yes"})
    world.cluster_a.refresh_from_db()
    assert str(world.cluster_a.dissolved) == "2024-12-31"
    assert ledger.account_balances(cluster=world.cluster_a)["1000"] == 0


def test_a_bank_statement_is_imported_from_the_books_page(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, "kasserer@a.test")
    statement = "Dato;Tekst;Beløb;Saldo\n05-03-2024;Husleje mødelokale;-1.250,00;8.750,00\n".encode(
        "cp1252"
    )
    url = reverse("finance:books", args=[world.cluster_a.slug])
    client.post(
        url, {"action": "statement", "statement": SimpleUploadedFile("konto.csv", statement)}
    )
    assert Transaction.objects.count() == 1
    client.post(
        url, {"action": "statement", "statement": SimpleUploadedFile("konto.csv", statement)}
    )
    assert Transaction.objects.count() == 1  # the same statement books nothing new
    assert ledger.books_check() == []


def test_the_secretariat_switches_a_cluster_to_central_administration(world, client):
    from klynge.finance.claims import administration_of

    login(client, "koordinator@a.test")
    client.post(
        reverse("finance:claims", args=[world.cluster_a.slug]), {"administration": "central"}
    )
    assert administration_of(world.cluster_a) == "own_account"  # a coordinator cannot
    client.logout()
    login(client, "sekretariat@kiap.test")
    client.post(
        reverse("finance:claims", args=[world.cluster_a.slug]), {"administration": "central"}
    )
    assert administration_of(world.cluster_a) == "central"
