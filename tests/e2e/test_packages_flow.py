"""Issue 13 in a real browser, in Danish: Region Sjælland's quality unit writes a
package (with its meeting structure, indicator, extraction guide and lead time), marks
it reviewed and publishes it; the coordinator of Køgeklyngen adopts it for a meeting
eight weeks ahead (the agenda is built and the data ordered from the region in one
step); the unit finds the order in its queue, accepts it and delivers a file, which is
imported like any import; the coordinator sees the delivery and the new month in the
cluster's data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from klynge.dataorders.models import DataOrder, OrderStatus
from klynge.meetings import services as meetings
from klynge.packages.models import EhrSystem, PackageVersion, VersionStatus
from klynge.quality.models import Indicator, IndicatorValue
from tests.e2e.conftest import log_in
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db(transaction=True)

TITLE = "NSAID til ældre – Sjælland"


def _submit(page, action_suffix: str) -> None:
    page.locator(f'form[action$="{action_suffix}"] button[type=submit]').click()
    page.wait_for_load_state("networkidle")


def test_region_publishes_coordinator_adopts_region_delivers(live_server, page, shoot):
    world = build_world()
    slug = world.cluster_a.slug
    xmo = EhrSystem.objects.create(name="XMO", vendor="CGM")
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    today = timezone.localdate()
    meeting_day = today + dt.timedelta(weeks=8)
    meeting = meetings.meeting_create(
        actor=None,
        cluster=world.cluster_a,
        title="Klyngemøde om NSAID",
        starts=timezone.make_aware(dt.datetime.combine(meeting_day, dt.time(17))),
    )

    # 1. The regional unit writes the package as a draft.
    log_in(page, live_server, "region@sjaelland.test", PASSWORD)
    page.goto(f"{live_server.url}/pakker/")
    page.get_by_role("button", name="Ny pakke").click()
    page.wait_for_load_state("networkidle")
    page.fill("input[name=theme]", "nsaid")
    page.fill("input[name=title]", TITLE)
    page.fill("textarea[name=why]", "Mange ældre i regionen får NSAID.")
    page.fill(
        "textarea[name=agenda]",
        "Velkommen | 5\nVores data om NSAID | 40 | Tragtdiagram\nHvad gør vi nu? | 30",
    )
    page.select_option("select[name=indicators]", value=str(nsaid.pk))
    page.fill("input[name=lead_time_days]", "56")
    page.fill("input[name=revision_date]", "2027-12-01")
    page.fill("input[name=reviewer]", "Kvalitetskonsulent Jens Mølgaard")
    page.fill(f"textarea[name=guide_{xmo.pk}]", "Rapporter → Ordinationer → NSAID, 75+")
    shoot(page, "pakke-ny")
    _submit(page, "/pakker/ny/opret/")
    version = PackageVersion.objects.get(title=TITLE)
    assert version.status == VersionStatus.DRAFT
    assert page.get_by_role("heading", name=TITLE).is_visible()
    assert page.get_by_text("Rapporter → Ordinationer → NSAID, 75+").is_visible()

    # 2. Reviewed, then published.
    page.get_by_role("button", name="Markér som gennemlæst").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Kladden er markeret som gennemlæst.").is_visible()
    page.get_by_role("button", name="Udgiv").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Pakken er udgivet.").is_visible()
    version.refresh_from_db()
    assert version.status == VersionStatus.PUBLISHED
    page.context.clear_cookies()

    # 3. The coordinator adopts it for the meeting eight weeks ahead.
    log_in(page, live_server, "koordinator@a.test", PASSWORD)
    page.goto(f"{live_server.url}/pakker/")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Brug i et møde i Køgeklyngen").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("i god tid").is_visible()
    page.select_option("select[name=meeting]", value=str(meeting.pk))
    shoot(page, "pakke-brug")
    page.get_by_role("button", name="Brug pakken").click()
    page.wait_for_load_state("networkidle")
    assert page.url.rstrip("/").endswith(f"/klynger/{slug}/moeder/{meeting.pk}/dagsorden")
    assert page.get_by_text("Pakken er på dagsordenen").is_visible()
    assert page.get_by_text("Vores data om NSAID").first.is_visible()
    order = DataOrder.objects.get()
    assert order.recipient.code == 1085 and order.meeting == meeting
    assert list(meeting.indicators.all()) == [nsaid]
    page.context.clear_cookies()

    # 4. The unit accepts the order from its queue and delivers a file.
    log_in(page, live_server, "region@sjaelland.test", PASSWORD)
    page.goto(f"{live_server.url}/dataordrer/")
    page.get_by_role("link", name=f"#{order.pk}").click()
    page.wait_for_load_state("networkidle")
    page.get_by_role("button", name="Acceptér").click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Bestillingen er accepteret.").is_visible()
    # The order's last three months (the funnel's default window).
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    months = [month]
    for _k in range(2):
        months.insert(0, (months[0] - dt.timedelta(days=1)).replace(day=1))
    rows = "".join(
        f"{c.provider_number},nsaid_elderly,{m:%Y-%m},{5 + i},{120 + 10 * i}\n"
        for m in months
        for i, c in enumerate(world.clinics_a)
    )
    upload = "provider_number,indicator,period,numerator,denominator\n" + rows
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "levering.csv", "mimeType": "text/csv", "buffer": upload.encode()}],
    )
    shoot(page, "dataordre-lever")
    page.get_by_role("button", name="Lever", exact=True).click()
    page.wait_for_load_state("networkidle")
    assert page.get_by_text("Data er leveret og indlæst som klyngens data.").is_visible()
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert IndicatorValue.objects.filter(indicator=nsaid, period__in=months).count() == 9
    page.context.clear_cookies()

    # 5. The coordinator is told on the start page and sees the month in the cluster's data.
    log_in(page, live_server, "koordinator@a.test", PASSWORD)
    page.goto(f"{live_server.url}/")
    assert page.get_by_text(f"Data til »{TITLE}« er leveret").is_visible()
    page.goto(f"{live_server.url}/klynger/{slug}/data/")
    assert page.get_by_role("link", name=nsaid.title_da).is_visible()
    shoot(page, "dataordre-klyngens-data")
    # The cluster's funnel for the indicator is drawn from the delivered months: each
    # member clinic at its delivered numerators and denominators over the quarter.
    page.get_by_role("link", name=nsaid.title_da).click()
    page.wait_for_load_state("networkidle")
    funnel = page.locator('[data-vega-spec="funnel-spec"]')
    funnel.locator("svg, canvas").first.wait_for(state="attached")
    rows = page.locator("table:has(#funnel-caption) tbody tr")
    cells = {tuple(rows.nth(k).locator("td").all_text_contents()[:2]) for k in range(rows.count())}
    assert cells == {(str(15 + 3 * i), str(360 + 30 * i)) for i in range(len(world.clinics_a))}
    shoot(page, "dataordre-klyngens-tragt")
