"""The regional unit's payment run in a real browser at 1280 px (FIN-2, issue 14): the
due grant is chosen with the button in view, the payment list downloads with CVR,
registration and account number, and a double click on "record as paid" with the bank's
date records one payout on that date."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.e2e.conftest import log_in
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_region_pays_a_run_on_the_banks_date(live_server, page, shoot):
    from klynge.finance.models import GrantScheme, PaymentRun, Payout
    from klynge.finance.schemes import ensure_default_scheme
    from klynge.registry.models import Cluster

    world = build_world()
    ensure_default_scheme(GrantScheme)  # a transactional test may have flushed it
    Cluster.objects.filter(pk=world.cluster_a.pk).update(
        registration_completed=dt.date(2019, 3, 15)
    )
    assert page.viewport_size == {"width": 1280, "height": 900}
    log_in(page, live_server, "region@sjaelland.test", PASSWORD)
    page.goto(f"{live_server.url}/oekonomi/tilskud/?aar=2024")
    assert page.is_checked(f"#pay-{world.cluster_a.pk}")
    button = page.locator("section.payment-run form button[type=submit]")
    shoot(page, "betalingskoersel-foer")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 1280
    # What is paid, returned and still due per cluster is in view too, not scrolled off.
    cell = page.locator("[data-testid=still-due]").first.bounding_box()
    assert cell is not None and cell["x"] + cell["width"] <= 1280
    shoot(page, "betalingskoersel-valg")
    button.click()
    page.wait_for_load_state("networkidle")
    run = PaymentRun.objects.get()
    assert page.url.endswith(f"/oekonomi/betalingskoersler/{run.pk}/")

    listing = page.request.get(
        f"{live_server.url}/oekonomi/betalingskoersler/{run.pk}/betalingsliste.csv"
    )
    assert listing.ok
    text = listing.body().decode("utf-8-sig")
    assert "13585628;1234;1234567890;" in text

    page.fill("form.record-run input[name=paid_on]", "05-02-2024")
    page.dblclick("form.record-run button[type=submit]")
    page.wait_for_load_state("networkidle")
    for _ in range(50):
        if Payout.objects.exists():
            break
        page.wait_for_timeout(100)
    page.wait_for_timeout(300)
    assert Payout.objects.count() == 1
    assert Payout.objects.get().paid_on == dt.date(2024, 2, 5)
    page.goto(f"{live_server.url}/oekonomi/betalingskoersler/{run.pk}/")
    assert "5. februar 2024" in page.locator("[data-testid=run-status]").inner_text()
    shoot(page, "betalingskoersel-betalt")
