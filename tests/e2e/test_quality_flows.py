"""Quality data in a real browser, on the national demo data: a member's dashboard of
small multiples, the funnel plot with their own clinic marked and nobody else named, a
run chart with a signal after an intervention, and a rejected upload."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from klynge.core.dates import today
from klynge.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from klynge.quality.models import Intervention
from klynge.registry.models import Clinic, Doctor, Membership
from tests.e2e.conftest import log_in
from tests.world import restore_migration_rows

pytestmark = pytest.mark.django_db(transaction=True)


def test_quality_pages(live_server, browser, shoot, tmp_path):
    restore_migration_rows()  # an earlier transactional test may have flushed them
    call_command("generate_dataset", "--scale", "denmark", "--seed", "1", verbosity=0)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, live_server, f"laege@{DEMO_DOMAIN}", DEMO_PASSWORD)
    member = Doctor.objects.select_related("clinic").get(user__email=f"laege@{DEMO_DOMAIN}")
    cluster = Membership.objects.active_on(today()).get(clinic=member.clinic).cluster

    page.goto(f"{live_server.url}/klynger/{cluster.slug}/data/")
    page.wait_for_selector(".spark svg")
    assert page.locator(".multiple").count() == 13
    shoot(page, "kvalitet-dashboard")

    page.goto(f"{live_server.url}/klynger/{cluster.slug}/data/ab_broad_spectrum/")
    page.wait_for_selector("[data-vega-spec=funnel-spec] svg .mark-symbol path")
    html = page.content()
    assert "Din klinik" in html
    others = Clinic.objects.filter(memberships__cluster=cluster).exclude(pk=member.clinic_id)
    for clinic in others:  # no other clinic's provider number (as a whole number) or name
        assert not re.search(rf"(?<![0-9.]){clinic.provider_number}(?![0-9])", html)
        assert clinic.name not in html
    shoot(page, "kvalitet-tragt-og-forloeb")
    page.set_viewport_size({"width": 390, "height": 844})  # a doctor's phone
    page.reload()
    page.wait_for_selector("[data-vega-spec=funnel-spec] svg")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shoot(page, "kvalitet-mobil")
    page.set_viewport_size({"width": 1280, "height": 900})

    # A cluster that changed something: the run chart freezes the baseline before it.
    page.context.clear_cookies()
    log_in(page, live_server, f"sekretariat@{DEMO_DOMAIN}", DEMO_PASSWORD)
    intervention = (
        Intervention.objects.select_related("cluster", "indicator")
        .order_by("cluster__name")
        .first()
    )
    page.goto(
        f"{live_server.url}/klynger/{intervention.cluster.slug}/data/{intervention.indicator.code}/"
    )
    page.wait_for_selector("[data-vega-spec=run-spec] svg")
    verdict = page.get_by_test_id("verdict").inner_text()
    assert verdict.startswith("Signal"), verdict
    assert "basislinje" in verdict.lower()
    shoot(page, "kvalitet-signal-efter-indsats")

    bad = tmp_path / "forkert.csv"
    bad.write_text(
        "ydernummer;indikator;periode;tæller;nævner\n999999;opioids;2024-13;x;40\n",
        encoding="utf-8",
    )
    page.goto(f"{live_server.url}/data/import/")
    page.set_input_files("input[type=file]", str(bad))
    page.click("form button[type=submit]")
    page.wait_for_selector("[data-testid=import-errors]")
    table = page.get_by_test_id("import-errors").inner_text()
    assert "2" in table and "periode" in table
    shoot(page, "kvalitet-afvist-fil")
    context.close()
    assert not errors, errors
