"""The programme dashboard's charts: their data is the dashboard's own figures (checked
against the hand counts of `test_dashboard`'s world), and each carries its numbers as a
table for those who do not see the chart."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from klynge.core.templatetags.charts import table_from_spec
from klynge.finance import selectors as finance_selectors
from klynge.overviews import charts, dashboard
from klynge.registry.models import Region
from tests.overviews.test_dashboard import ON, SJAELLAND, world  # noqa: F401
from tests.world import PASSWORD

pytestmark = pytest.mark.django_db


def by(values: list[dict], key: str) -> dict:
    return {v[key]: v for v in values}


def test_national_charts_against_the_figures_and_the_hand_count(world):  # noqa: F811
    board = dashboard.build(on=ON, region=None)
    specs = charts.dashboard_specs(board)

    coverage = specs["chart-coverage"]["data"]["values"]
    regions = by(coverage, "area")
    assert len(coverage) == 5  # the five regions of 2024
    assert regions["Region Sjælland"]["doctor_share"] == 85.7  # 6 of 7
    assert regions["Region Sjælland"]["clinic_share"] == 75.0  # 3 of 4
    assert regions["Region Hovedstaden"]["doctor_share"] == 100.0  # 4 of 4
    assert regions["Region Nordjylland"]["doctor_share"] is None  # no GPs in this world
    # The areas add up to the dashboard's own figures (10 / 11 GPs, 5 / 6 clinics).
    assert sum(v["doctors_in_cluster"] for v in coverage) == 10
    assert sum(v["doctors"] for v in coverage) == 11
    assert sum(v["clinics_in_cluster"] for v in coverage) / sum(
        v["clinics"] for v in coverage
    ) == pytest.approx(board["clinic_share"].value)

    meetings = specs["chart-meetings"]["data"]["values"]
    assert [(v["quarter"], v["held"], v["attendance"]) for v in meetings] == [
        ("K1", 2, 60.0),  # 6 present of 10 registered
        ("K2", 1, 75.0),  # 3 of 4
    ]
    assert sum(v["held"] for v in meetings) == board["meetings_held"].value

    grants = [v["amount"] for v in specs["chart-grants"]["data"]["values"]]
    grant_b = finance_selectors.grant_rows(year=2024, only=world.cluster_b)[0].grant.total
    assert grants[0] == float(board["grants_paid"].value) == 1000.0
    assert grants[1] == float(board["grants_due"].value)
    assert grants[2] == float(grant_b)  # B's registration is not complete: not due
    assert Decimal(str(sum(grants))) == board["grants_total"].value


def test_a_regions_chart_shows_its_municipalities(world):  # noqa: F811
    board = dashboard.build(on=ON, region=Region.objects.get(code=SJAELLAND))
    coverage = charts.coverage_spec(board)["data"]["values"]
    koege = by(coverage, "area")["Køge"]
    assert (koege["doctors_in_cluster"], koege["doctors"]) == (6, 7)
    assert "Hillerød" not in by(coverage, "area")  # another region's municipality
    assert sum(v["doctors"] for v in coverage) == 7
    held = [v["held"] for v in charts.meetings_spec(board)["data"]["values"]]
    assert sum(held) == board["meetings_held"].value == 2


def test_every_chart_has_its_numbers_as_a_table(world):  # noqa: F811
    board = dashboard.build(on=ON, region=None)
    for spec in charts.dashboard_specs(board).values():
        table = table_from_spec(spec)
        assert table is not None and table.caption and spec["description"]
        assert len(table.rows) == len(spec["data"]["values"])
    quarters = table_from_spec(charts.meetings_spec(board))
    assert quarters is not None and quarters.rows[0][0] == "K1"
    assert quarters.rows[0][1] == "2" and quarters.rows[0][4] in ("60,0", "60.0")


def test_the_page_embeds_the_charts_with_their_tables(world, client):  # noqa: F811
    assert client.login(email="sekretariat@kiap.test", password=PASSWORD)
    html = client.get(reverse("overviews:dashboard"), {"dato": ON.isoformat()}).content.decode()
    for id_ in ("chart-coverage", "chart-meetings", "chart-grants"):
        assert f'data-vega-spec="{id_}"' in html
        assert f'aria-describedby="{id_}-caption"' in html
        found = re.search(rf'<script id="{id_}" type="application/json">(.*?)</script>', html)
        assert found is not None
        spec = json.loads(found.group(1))
        assert spec["$schema"].endswith("vega-lite/v6.json")
    assert "vega-embed" in html and "<script>" not in html  # no inline script (CSP)
