"""The treasurer's books in a real browser: a refused transport expense says why, an
allowed one is booked, and the annual accounts open as a PDF."""

from __future__ import annotations

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
