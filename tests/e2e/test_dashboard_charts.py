"""The dashboard's charts draw in a real browser under the site's Content Security
Policy (no eval: Vega's expression interpreter), with no script error."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in
from tests.overviews.test_dashboard import ON, world  # noqa: F401
from tests.world import PASSWORD

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_three_charts_are_drawn(live_server, page, shoot, world):  # noqa: F811
    log_in(page, live_server, "sekretariat@kiap.test", PASSWORD)
    response = page.goto(f"{live_server.url}/daekning/program/?dato={ON.isoformat()}")
    assert response is not None and response.status == 200
    for id_ in ("chart-coverage", "chart-meetings", "chart-grants"):
        chart = page.locator(f'[data-vega-spec="{id_}"]')
        chart.locator("svg").first.wait_for(state="attached", timeout=15_000)
        assert chart.locator("svg .mark-rect path, svg .mark-rect rect").count() > 0, id_
    shoot(page, "programoverblik-grafer")
