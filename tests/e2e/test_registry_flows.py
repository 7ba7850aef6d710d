"""The registry in a real browser: the national map, coverage, and registering a
cluster with a bad CVR."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from klynge.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from klynge.registry.models import Cluster
from tests.e2e.conftest import log_in
from tests.world import restore_migration_rows

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def national(transactional_db):
    restore_migration_rows()  # an earlier transactional test may have flushed them
    call_command("generate_dataset", "--scale", "denmark", "--seed", "1", verbosity=0)


def test_map_shows_denmark_and_every_cluster(national, live_server, page, shoot):
    page.goto(f"{live_server.url}/klynger/")
    page.wait_for_selector(".map svg .mark-symbol path")
    municipalities = page.locator(".map svg .mark-shape path").count()
    clusters = page.locator(".map svg .mark-symbol.role-mark path").count()
    assert municipalities >= 98
    assert clusters == 114
    assert page.get_by_test_id("cluster-count").inner_text() == "114"
    assert "Klyngeoversigt" in page.content()
    shoot(page, "klyngeoversigt")

    page.select_option("select[name=region]", "1081")  # htmx swaps list and map
    page.wait_for_url("**region=1081**")
    from playwright.sync_api import expect

    from klynge.core.dates import today
    from klynge.registry.selectors import in_region

    expected = Cluster.objects.active_on(today()).filter(in_region(1081, today())).count()
    # A locator assertion, not wait_for_function: the page's policy forbids eval.
    expect(page.locator(".map svg .mark-symbol.role-mark path")).to_have_count(
        expected, timeout=10_000
    )
    assert page.get_by_test_id("cluster-count").inner_text() == str(expected)
    shoot(page, "klyngeoversigt-nordjylland")


def test_coverage_shows_the_national_share(national, live_server, page, shoot):
    from klynge.core.dates import today
    from klynge.registry.selectors import coverage

    log_in(page, live_server, f"sekretariat@{DEMO_DOMAIN}", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/daekning/")
    share = coverage(on=today()).national.doctor_share
    shown = page.get_by_test_id("national-doctor-share").inner_text()
    assert shown == f"{share * 100:.1f}".replace(".", ",") + "\u00a0%"
    shoot(page, "daekning")


def test_registering_with_a_bad_cvr_says_why(national, live_server, page, shoot):
    log_in(page, live_server, f"laege@{DEMO_DOMAIN}", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/klynger/ny/")
    page.fill("input[name=name]", "Testklyngen")
    page.select_option("select[name=municipality]", "259")
    page.fill("input[name=founded]", "24-10-2019")
    page.fill("input[name=cvr]", "12345678")
    page.click("form button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "modulus 11" in page.content()
    assert not Cluster.objects.filter(name="Testklyngen").exists()
    shoot(page, "registrering-forkert-cvr")


def test_overview_fits_a_phone(national, live_server, browser, shoot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/klynger/")
    page.wait_for_selector(".map svg .mark-symbol path")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    shoot(page, "klyngeoversigt-mobil")
    context.close()
