"""Figures that stay right when data arrive unevenly (issue 9): the default period is the
cluster's own latest complete month per indicator, one upload never moves another
cluster's view, the dashboard and the indicator page agree, the dashboard CSV holds the
dashboard's rows, and each intervention says in words whether the data moved."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.urls import reverse
from django.utils import timezone, translation

from klynge.meetings.models import Decision, Meeting
from klynge.quality import charts, selectors, stats
from klynge.quality.models import Indicator, IndicatorValue, Intervention
from klynge.quality.release import protect
from tests.quality.conftest import login
from tests.quality.test_views import read_csv

pytestmark = pytest.mark.django_db

DECEMBER = dt.date(2024, 12, 1)


def quarter_sum() -> tuple[int, int]:
    """Cluster A's opioids, October-December 2024, as sums of protected cells."""
    n = sum(protect(10 + i + m) for i in range(3) for m in (10, 11, 12))
    d = sum(3 * protect(200 + 10 * i) for i in range(3))
    return n, d


def test_the_dashboard_csv_holds_the_dashboards_rows(world, client):
    login(client, world.users["member_a"])
    rows = read_csv(
        client.get(reverse("quality:cluster.dashboard_csv", args=[world.cluster_a.slug]))
    )
    header, *body = rows
    assert len(header) == 7
    assert len(body) == 1  # the world has one indicator with data
    code, last, n, d, value, _nation, verdict = body[0]
    assert (code, last) == ("opioids", "2024-12")
    assert (int(n), int(d)) == quarter_sum()
    assert value == f"{100 * quarter_sum()[0] / quarter_sum()[1]:.2f}".replace(".", ",")
    assert verdict  # the same words as on the page


def test_the_dashboard_and_the_indicator_page_give_the_same_verdict(world, client):
    login(client, world.users["member_a"])
    dashboard = client.get(reverse("quality:cluster.dashboard", args=[world.cluster_a.slug]))
    page = client.get(reverse("quality:cluster.indicator", args=[world.cluster_a.slug, "opioids"]))
    [row] = dashboard.context["rows"]
    assert row["verdict"] == page.context["verdict"]
    assert row["row"].last == page.context["last"] == DECEMBER


def test_one_regions_early_upload_moves_no_other_clusters_view(world, client):
    opioids = Indicator.objects.get(code="opioids")
    before = selectors.cluster_latest_months(cluster=world.cluster_a)[opioids.pk]
    # Two clinics of cluster B (Hovedstaden) deliver January 2025 ahead of everyone.
    for clinic in world.cluster_b.memberships.values_list("clinic_id", flat=True):
        IndicatorValue.objects.create(
            clinic_id=clinic,
            indicator=opioids,
            period=dt.date(2025, 1, 1),
            numerator=30,
            denominator=300,
        )
    assert (
        selectors.cluster_latest_months(cluster=world.cluster_a)[opioids.pk] == before == DECEMBER
    )
    assert selectors.cluster_latest_months(cluster=world.cluster_b)[opioids.pk] == dt.date(
        2025, 1, 1
    )
    login(client, world.users["member_a"])
    page = client.get(reverse("quality:cluster.indicator", args=[world.cluster_a.slug, "opioids"]))
    assert page.context["last"] == DECEMBER
    # The nation for January: two of five clinics reported, so it is not drawn.
    nation = selectors.comparator_series(
        indicator=opioids,
        first=dt.date(2025, 1, 1),
        last=dt.date(2025, 1, 1),
        cluster_reported=[0],
    )
    assert nation.reported == [2] and nation.values == [None]


def test_the_funnel_never_calls_a_common_count_an_outlier():
    """20 of 20 at a 95 % target: a third of in-control clinics score it."""
    side = stats.funnel_outside([20, 12], [20, 20], 0.95, 0.998)
    assert side.tolist() == [0, -1]


def _trend_with(values: list[float], intervention_month: int, direction="lower"):
    months = [dt.date(2022 + (i // 12), i % 12 + 1, 1) for i in range(len(values))]
    series = selectors.Series("K", months, [int(v * 1000) for v in values], [1000] * len(values))
    intervention = Intervention(date=months[intervention_month], text="Seponeringsplan")
    indicator = Indicator(
        code="x", title_da="X", title_en="X", unit="proportion", direction=direction
    )
    trend = selectors.Trend(
        series,
        stats.runs_analysis(np.array(values), baseline=intervention_month),
        intervention_month,
        [intervention],
        None,
        [],
    )
    return trend, indicator


def test_an_intervention_that_moved_the_data_says_so_in_words():
    rng = np.random.default_rng(3)
    values = list(0.30 + rng.normal(0, 0.01, 18)) + list(0.22 + rng.normal(0, 0.01, 12))
    trend, indicator = _trend_with(values, 18)
    with translation.override("en"):
        [(_intervention, text)] = charts.intervention_effects(trend, indicator)
        assert "July 2023" in text and "June 2023" in text  # the baseline's dates
        assert "12 months in a row below" in text
        assert "for the better" in text
        trend, indicator = _trend_with(values, 18, direction="higher")
        assert "for the worse" in charts.intervention_effects(trend, indicator)[0][1]


def test_an_intervention_without_a_change_says_no_signal():
    rng = np.random.default_rng(4)
    values = list(0.30 + rng.normal(0, 0.01, 30))
    trend, indicator = _trend_with(values, 18)
    with translation.override("en"):
        text = charts.intervention_effects(trend, indicator)[0][1]
    assert "no signal" in text


def test_decided_at_links_to_the_meeting_whose_minutes_decided_it(world, client):
    opioids = Indicator.objects.get(code="opioids")
    meeting = Meeting.objects.create(
        cluster=world.cluster_a,
        title="Klyngemøde om opioider",
        starts=timezone.make_aware(dt.datetime(2024, 7, 1, 17)),
    )
    intervention = Intervention.objects.create(
        cluster=world.cluster_a, indicator=opioids, date=dt.date(2024, 7, 1), text="Fælles plan"
    )
    Decision.objects.create(meeting=meeting, text="Fælles plan", intervention=intervention)
    login(client, world.users["member_a"])
    page = client.get(reverse("quality:cluster.indicator", args=[world.cluster_a.slug, "opioids"]))
    body = page.content.decode()
    assert reverse("meetings:detail", args=[world.cluster_a.slug, meeting.pk]) in body
    assert 'data-testid="effect"' in body


def test_a_p_prime_chart_of_a_mostly_empty_series_is_valid_json():
    """A region whose four years are mostly empty (a cluster's first data came by a data
    order): months without data have no limits — null, not NaN, which no JSON parser in
    a browser takes — and are not called outside them."""
    import json

    indicator = Indicator.objects.get(code="nsaid_elderly")
    months = [dt.date(2024, m, 1) for m in range(1, 13)]
    series = selectors.Series(
        "Region Sjælland", months, [0] * 9 + [12, 14, 11], [0] * 9 + [100, 110, 95]
    )
    spec = charts.p_prime_spec(series, indicator)
    text = json.dumps(spec, allow_nan=False)  # raises on NaN
    rows = json.loads(text)["data"]["values"]
    assert [r["lcl"] is None for r in rows] == [True] * 9 + [False] * 3
    assert not any(r["outside"] for r in rows[:9])
