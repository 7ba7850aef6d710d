"""Economy pages as their users drive them: every form posts to its own write URL; a
refusal re-renders the page with status 400 and the user's input kept."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from klynge.finance import ledger
from klynge.finance.models import FeePayment, Payout, Transaction
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    from klynge.registry.models import Cluster

    world = build_world()
    # The grant is due from the first turn of the month after a complete registration.
    Cluster.objects.filter(pk=world.cluster_a.pk).update(
        registration_completed=dt.date(2019, 3, 15)
    )
    world.cluster_a.refresh_from_db()
    return world


def login(client, email):
    assert client.login(email=email, password=PASSWORD)


def test_a_refused_transport_expense_says_why_and_writes_nothing(world, client):
    login(client, "kasserer@a.test")
    url = reverse("finance:expense.book", args=[world.cluster_a.slug])
    response = client.post(
        url,
        {
            "date": "01-03-2024",
            "text": "Kørsel til møde",
            "category": "transport",
            "amount": "350,00",
        },
    )
    assert response.status_code == 400
    assert "kan ikke betales af klyngetilskuddet" in response.content.decode()
    assert response.context["form"]["text"].value() == "Kørsel til møde"
    assert not Transaction.objects.exists()
    ok = client.post(
        url, {"date": "01-03-2024", "text": "Mødelokale", "category": "venue", "amount": "1.250,50"}
    )
    assert ok.status_code == 302
    assert ledger.account_balances(cluster=world.cluster_a)["1000"] == Decimal("-1250.50")


def test_a_member_of_another_cluster_gets_404_on_the_books(world, client):
    login(client, "laege@b.test")
    assert client.get(reverse("finance:books", args=[world.cluster_a.slug])).status_code == 404


def test_reversal_from_the_page_needs_a_reason_and_keeps_the_books_balanced(world, client):
    login(client, "koordinator@a.test")
    booked = ledger.expense_record(
        actor=None,
        cluster=world.cluster_a,
        date=world.cluster_a.founded,
        text="Mad",
        category="catering",
        amount=Decimal("400"),
    )
    url = reverse("finance:entry.reverse", args=[world.cluster_a.slug, booked.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert not Transaction.objects.filter(reverses=booked).exists()
    assert client.post(url, {"reason": "fejl"}).status_code == 302
    assert Transaction.objects.filter(reverses=booked).exists()
    assert ledger.books_check() == []


def _payout(client, world, amount, key=None, cluster=None):
    cluster = cluster or world.cluster_a
    return client.post(
        reverse("finance:payout.record", args=[cluster.slug]) + "?aar=2024",
        {
            "year": 2024,
            "amount": amount,
            "paid_on": "02-01-2024",
            "key": str(key or uuid.uuid4()),
        },
    )


def test_a_region_records_a_payout_booked_as_income_but_not_for_another_region(world, client):
    login(client, "region@sjaelland.test")
    page = client.get(reverse("finance:grants"), {"aar": "2019"})
    assert [r.cluster.name for r, _due in page.context["rows"]] == ["Køgeklyngen"]
    assert _payout(client, world, "10.000,00").status_code == 302
    assert Payout.objects.get().amount == Decimal("10000")
    assert ledger.account_balances(cluster=world.cluster_a)["3000"] == Decimal("-10000")
    assert _payout(client, world, "10.000,00", cluster=world.cluster_b).status_code == 404
    assert Payout.objects.count() == 1


def test_nothing_is_paid_before_the_registration_is_complete(world, client):
    from klynge.registry.models import Cluster

    Cluster.objects.filter(pk=world.cluster_a.pk).update(registration_completed=None)
    login(client, "region@sjaelland.test")
    assert _payout(client, world, "1.000,00").status_code == 400
    assert not Payout.objects.exists()


def test_a_grant_cannot_be_marked_paid_twice_from_two_tabs(world, client):
    """Before: both tabs booked the full grant; "paid" was then reconciled with max()."""
    login(client, "region@sjaelland.test")
    page = client.get(reverse("finance:grants"), {"aar": "2024"})
    due = page.context["rows"][0][0].due
    assert page.content.decode().count('name="clusters"') == 1  # offered in the payment run
    first_tab, second_tab = uuid.uuid4(), uuid.uuid4()
    assert _payout(client, world, f"{due:.2f}", key=first_tab).status_code == 302
    refused = _payout(client, world, f"{due:.2f}", key=second_tab)
    assert refused.status_code == 400
    assert "already paid in full" in refused.content.decode() or "allerede" in (
        refused.content.decode()
    )
    assert Payout.objects.count() == 1
    assert ledger.account_balances(cluster=world.cluster_a)["3000"] == -due


def test_a_crafted_post_cannot_over_pay_a_grant(world, client):
    """Before: any amount was accepted and booked as income."""
    login(client, "region@sjaelland.test")
    response = _payout(client, world, "9.999.999,00")
    assert response.status_code == 400
    assert not Payout.objects.exists()
    assert not Transaction.objects.exists()


def test_a_double_submit_of_the_payout_form_books_once(world, client):
    login(client, "region@sjaelland.test")
    key = uuid.uuid4()
    assert _payout(client, world, "1.000,00", key=key).status_code == 302
    assert _payout(client, world, "1.000,00", key=key).status_code == 302
    assert Payout.objects.count() == 1
    assert Transaction.objects.count() == 1


def test_a_payout_is_corrected_by_reversal_with_a_reason(world, client):
    login(client, "region@sjaelland.test")
    _payout(client, world, "1.000,00")
    payout = Payout.objects.get()
    url = reverse("finance:payout.reverse", args=[payout.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    assert client.post(url, {"reason": "forkert beløb"}).status_code == 302
    reversal = Payout.objects.get(reverses=payout)
    assert (reversal.amount, reversal.reason) == (Decimal("-1000"), "forkert beløb")
    assert ledger.account_balances(cluster=world.cluster_a)["3000"] == 0
    row = client.get(reverse("finance:grants"), {"aar": "2024"}).context["rows"][0][0]
    assert row.paid == 0
    # The payout's booking is not reversed again behind its back from the books page.
    client.logout()
    login(client, "koordinator@a.test")
    books = reverse("finance:entry.reverse", args=[world.cluster_a.slug, payout.booking_id])
    assert client.post(books, {"reason": "x"}).status_code == 400


def test_budget_adopted_from_the_books_page_and_shown_against_actual(world, client):
    login(client, "kasserer@a.test")
    url = reverse("finance:budget.adopt", args=[world.cluster_a.slug])
    response = client.post(
        f"{url}?aar=2024",
        {"adopted_on": "15-03-2024", "budget_3000": "150.000,00", "budget_4003": "5.000"},
    )
    assert response.status_code == 302
    page = client.get(reverse("finance:books", args=[world.cluster_a.slug]), {"aar": "2024"})
    assert page.context["budget"] == {"3000": Decimal("150000.00"), "4003": Decimal("5000.00")}
    assert str(page.context["budget_adopted"]) == "2024-03-15"


def test_one_bad_budget_field_keeps_the_rest_of_the_form(world, client):
    """Before: one bad amount redirected with a message and every amount typed was lost."""
    login(client, "kasserer@a.test")
    url = reverse("finance:budget.adopt", args=[world.cluster_a.slug])
    response = client.post(
        f"{url}?aar=2024",
        {"adopted_on": "15-03-2024", "budget_3000": "150.000,00", "budget_4003": "fem tusind"},
    )
    assert response.status_code == 400
    form = response.context["budget_form"]
    assert form["budget_3000"].value() == "150.000,00"
    assert form["budget_4003"].errors
    assert 'value="150.000,00"' in response.content.decode()
    assert not world.cluster_a.budgets.exists()


def test_dissolution_from_the_page_needs_confirmation_and_says_the_amount_in_danish(world, client):
    login(client, "koordinator@a.test")
    ledger.grant_received(
        actor=None,
        cluster=world.cluster_a,
        date=world.cluster_a.founded,
        amount=Decimal("2858424.30"),
    )
    url = reverse("finance:dissolve", args=[world.cluster_a.slug])
    refused = client.post(url, {"date": "31-12-2024"})
    assert refused.status_code == 400
    assert refused.context["dissolve_form"]["date"].value() == "31-12-2024"
    world.cluster_a.refresh_from_db()
    assert world.cluster_a.dissolved is None
    done = client.post(url, {"date": "31-12-2024", "confirm": "on"}, follow=True)
    world.cluster_a.refresh_from_db()
    assert str(world.cluster_a.dissolved) == "2024-12-31"
    assert ledger.account_balances(cluster=world.cluster_a)["1000"] == 0
    text = done.content.decode().replace("\u00a0", " ")
    assert "2.858.424,30 kr." in text
    assert "2858424.3" not in text
    # The coordinator's role ended with the cluster; the secretariat reads the closed books.
    assert client.get(reverse("finance:books", args=[world.cluster_a.slug])).status_code == 404
    client.logout()
    login(client, "sekretariat@kiap.test")
    books = client.get(reverse("finance:books", args=[world.cluster_a.slug]))
    assert "2.858.424,30 kr." in books.content.decode().replace("\u00a0", " ")


def test_a_bank_statement_is_imported_from_the_books_page(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from klynge.finance.models import StatementImport

    login(client, "kasserer@a.test")
    statement = "Dato;Tekst;Beløb;Saldo\n05-03-2024;Husleje mødelokale;-1.250,00;8.750,00\n".encode(
        "cp1252"
    )
    url = reverse("finance:statement.import", args=[world.cluster_a.slug])
    assert client.post(url, {}).status_code == 400  # no file chosen
    client.post(url, {"statement": SimpleUploadedFile("konto.csv", statement)})
    assert Transaction.objects.count() == 1
    client.post(url, {"statement": SimpleUploadedFile("konto.csv", statement)})
    assert Transaction.objects.count() == 1  # the same statement books nothing new
    assert ledger.books_check() == []
    assert [s.filename for s in StatementImport.objects.all()] == ["konto.csv", "konto.csv"]
    assert StatementImport.objects.last().imported_by == world.users["board_a"]


def test_a_refused_bank_statement_is_explained_in_danish(world, client):
    """Found in the Danish copy review: the reasons were English on the Danish page."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, "kasserer@a.test")
    statement = (
        "Dato;Tekst;Beløb;Saldo\n05-03-2024;Husleje;-1.250,00;8.750,00\n"
        "32-03-2024;Kaffe;-50,00;8.700,00\n"
    ).encode("cp1252")
    response = client.post(
        reverse("finance:statement.import", args=[world.cluster_a.slug]),
        {"statement": SimpleUploadedFile("konto.csv", statement)},
        follow=True,
    )
    page = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    assert "Kontoudtoget blev ikke indlæst: linje 3: forkert dato:" in page
    assert "»32-03-2024« er ikke en dato: den dag findes ikke" in page
    assert Transaction.objects.count() == 0


def test_the_secretariat_switches_a_cluster_to_central_administration(world, client):
    from klynge.finance.claims import administration_of

    url = reverse("finance:administration.set", args=[world.cluster_a.slug])
    login(client, "koordinator@a.test")
    assert client.post(url, {"administration": "central"}).status_code == 404
    assert administration_of(world.cluster_a) == "own_account"  # a coordinator cannot
    client.logout()
    login(client, "sekretariat@kiap.test")
    assert client.post(url, {"administration": "central"}).status_code == 302
    assert administration_of(world.cluster_a) == "central"


def test_a_double_click_on_pay_books_one_fee_instalment(world, client):
    """Before: each click booked another instalment."""
    from klynge.finance.accounts import contract_create

    contract = contract_create(
        actor=None,
        cluster=world.cluster_a,
        recipient="Ulla Friis",
        role="Klyngekoordinator",
        hourly_basis=Decimal("950"),
        start=dt.date(2024, 1, 1),
    )
    login(client, "koordinator@a.test")
    page = client.get(reverse("finance:fees", args=[world.cluster_a.slug]))
    assert 'name="key"' in page.content.decode()
    url = reverse("finance:fee.pay", args=[world.cluster_a.slug, contract.pk])
    key = str(uuid.uuid4())
    assert client.post(url, {"key": key}).status_code == 302
    assert client.post(url, {"key": key}).status_code == 302
    assert FeePayment.objects.count() == 1
    payment = FeePayment.objects.get()
    reverse_url = reverse("finance:fee.reverse", args=[world.cluster_a.slug, payment.pk])
    assert client.post(reverse_url, {"reason": "fejl"}).status_code == 302
    page = client.get(reverse("finance:fees", args=[world.cluster_a.slug]))
    assert "fejl" in page.content.decode()  # the reversal and its reason are on the page
    from klynge.core.dates import today

    year = today().year  # paid and reversed today
    report = client.get(reverse("finance:fees.report", args=[world.cluster_a.slug, year, "csv"]))
    body = report.content.decode("utf-8-sig")
    [(recipient, total)] = [line.split(";") for line in body.splitlines()[1:]]
    assert (recipient, total) == ("Ulla Friis", "0,00")  # paid, then reversed: nothing


def test_the_secretariat_decides_and_pays_a_claim_through_its_own_urls(world, client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from klynge.finance.claims import claim_submit

    claim = claim_submit(
        actor=None,
        cluster=world.cluster_a,
        date=dt.date(2024, 2, 1),
        text="Lokale",
        category="venue",
        amount=Decimal("500"),
        payee="Udlejer",
        receipt=SimpleUploadedFile("k.pdf", b"%PDF-1.4"),
    )
    login(client, "sekretariat@kiap.test")
    decide = reverse("finance:claim.decide", args=[claim.pk])
    assert client.post(decide, {"decision": "reject"}).status_code == 400  # no reason
    assert client.post(decide, {"decision": "approve"}).status_code == 302
    assert client.post(reverse("finance:claim.pay", args=[claim.pk])).status_code == 302
    claim.refresh_from_db()
    assert claim.status == "paid" and claim.booking is not None
