"""The treasurer's books in a real browser: a refused transport expense says why, an
allowed one is booked, and the annual accounts open as a PDF."""

from __future__ import annotations

import datetime as dt

import pytest

from klynge.finance.models import Transaction
from tests.e2e.conftest import log_in
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_treasurer_books_an_expense_and_is_refused_transport(live_server, page, shoot):
    world = build_world()
    log_in(page, live_server, "kasserer@a.test", PASSWORD)
    page.goto(f"{live_server.url}/klynger/{world.cluster_a.slug}/regnskab/")
    page.fill("input[name=date]", "01-03-2024")
    page.fill("input[name=text]", "Kørsel til klyngemøde")
    page.select_option("select[name=category]", "transport")
    page.fill("input[name=amount]", "350,00")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "kan ikke betales af klyngetilskuddet" in page.content()
    assert not Transaction.objects.exists()
    shoot(page, "regnskab-afvist-transport")

    page.fill("input[name=text]", "Mødelokale")
    page.select_option("select[name=category]", "venue")
    page.fill("input[name=amount]", "1.250,50")
    page.click("form[enctype] button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert Transaction.objects.count() == 1
    assert "1.250,50" in page.content() or "1.251" in page.content()
    shoot(page, "regnskab-bogfoert")
    response = page.request.get(
        f"{live_server.url}/klynger/{world.cluster_a.slug}/regnskab/aarsregnskab-2024.pdf"
    )
    assert response.ok and response.body().startswith(b"%PDF")


def test_one_bad_budget_amount_keeps_the_others_and_a_double_click_pays_once(
    live_server, page, shoot
):
    """The budget form posts to its own URL; a refusal shows the bad field and keeps
    what was typed. A region's double click on "record the run as paid" records one payout."""
    from klynge.finance.models import Budget, GrantScheme, Payout
    from klynge.finance.schemes import ensure_default_scheme

    world = build_world()
    from klynge.registry.models import Cluster

    ensure_default_scheme(GrantScheme)  # a transactional test flushed the migration's rows
    Cluster.objects.filter(pk=world.cluster_a.pk).update(
        registration_completed=dt.date(2019, 3, 15)
    )
    log_in(page, live_server, "kasserer@a.test", PASSWORD)
    page.goto(f"{live_server.url}/klynger/{world.cluster_a.slug}/regnskab/?aar=2024")
    page.fill("form.budget input[name=budget_3000]", "150.000,00")
    page.fill("form.budget input[name=budget_4003]", "fem tusind")
    page.fill("form.budget input[name=adopted_on]", "15-03-2024")
    page.click("form.budget button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert page.input_value("form.budget input[name=budget_3000]") == "150.000,00"
    assert not Budget.objects.exists()
    shoot(page, "regnskab-budget-fejl")
    page.fill("form.budget input[name=budget_4003]", "5.000")
    page.click("form.budget button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert Budget.objects.get().lines.count() == 2

    page.context.clear_cookies()
    log_in(page, live_server, "region@sjaelland.test", PASSWORD)
    page.goto(f"{live_server.url}/oekonomi/tilskud/?aar=2024")
    page.click("section.payment-run form button[type=submit]")  # the payment run (FIN-2)
    page.wait_for_load_state("networkidle")
    page.fill("form.record-run input[name=paid_on]", "05-02-2024")
    page.dblclick("form.record-run button[type=submit]")
    page.wait_for_load_state("networkidle")
    # The first click's request may still be committing when the second answers.
    for _ in range(50):
        if Payout.objects.exists():
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    assert Payout.objects.count() == 1
    shoot(page, "tilskud-udbetalt")
