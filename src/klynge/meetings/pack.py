"""The meeting pack (MEET-7): the agenda, the anonymised charts of the indicators chosen
for the meeting and the open actions, as one PDF (WeasyPrint) and as a full-screen
presentation in the browser. Both read the same context.

The charts are the quality app's own Vega-Lite specs (`quality.charts`) over its
selectors, exported to SVG with vl-convert so that the PDF and the presentation need
no JavaScript and no network. Whatever the cluster's presentation setting, the pack is
anonymised and has no viewer: every clinic is a pseudonym and small numbers are
suppressed as for an outsider, because a pack is forwarded, printed and projected.
Pseudonyms are drawn for the meeting's day, so the PDF and the presentation of one
meeting agree, and the next meeting draws them anew.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min
from django.template.loader import render_to_string
from django.utils import timezone, translation

from klynge.core.pdf import render_pdf
from klynge.meetings import selectors
from klynge.meetings.models import Action, Meeting
from klynge.quality import charts
from klynge.quality import selectors as quality
from klynge.quality.models import Indicator, IndicatorValue
from klynge.quality.periods import add_months
from klynge.registry.selectors import cluster_memberships_on, region_of

# "page": one SVG per indicator, the charts stacked to the width of an A4 page (the PDF,
# `chart_svgs`). "screen": one SVG per chart, which the presentation's CSS sets side by
# side on a wide screen and one above the other on a phone held upright.
Layout = Literal["page", "screen"]

# The funnel's window (a quarter, as on the cluster's indicator page) and the run
# chart's reach (four years, as there, but starting with the cluster's first data).
FUNNEL_MONTHS = 3
TREND_MONTHS = 48

# Drawn charts and printed packs are kept by content for a day (they are correct for as
# long as they are kept: a change of anything shown changes their key).
CACHE_SECONDS = 24 * 3600

# Chart sizes in SVG pixels, (width, funnel height, run chart height); they scale with
# CSS through the SVG's viewBox.
SIZES: dict[str, tuple[int, int, int]] = {"page": (600, 270, 230), "screen": (540, 340, 340)}


@dataclass
class IndicatorSlide:
    """One chosen indicator: its charts as SVG (none without data), the Anhøj verdict,
    and the figures shown beside them."""

    indicator: Indicator
    last: dt.date | None = None
    bench: quality.Benchmark | None = None
    trend: quality.Trend | None = None
    verdict: str = ""
    svgs: list[str] = field(default_factory=list)
    run_spec: dict[str, Any] | None = None  # its numbers are the presentation's table

    @property
    def hidden(self) -> int:
        """Clinics left out of the funnel plot because their counts are small."""
        return sum(1 for p in self.bench.points if p.hidden) if self.bench else 0


def _first_month(*, indicator: Indicator, clinic_ids: list[int], last: dt.date) -> dt.date:
    """The run chart's first month: four years back, or the cluster's first data."""
    earliest = add_months(last, -(TREND_MONTHS - 1))
    first = IndicatorValue.objects.filter(
        indicator=indicator, period_kind="M", clinic_id__in=clinic_ids, period__lte=last
    ).aggregate(first=Min("period"))["first"]
    return max(earliest, first) if first else earliest


def _national_tau2(bench: quality.Benchmark) -> float:
    """Between-clinic variance found nationally, as on the cluster's indicator page."""
    if bench.nation_level.value is None:
        return 0.0
    return quality.national_overdispersion(
        indicator=bench.indicator,
        first=bench.first,
        last=bench.last,
        target=bench.nation_level.value,
    ).tau2


def _sized(spec: dict[str, Any], width: int, height: int) -> dict[str, Any]:
    """A page spec with a fixed size: it fills its container in the browser, and
    vl-convert has none. The pack's SVGs are images in the PDF and the presentation
    (`role="img"`, named there, their numbers in a table beside them), so the marks keep
    Vega's own labels rather than the browser charts' `aria: false`."""
    sized = {**copy.deepcopy(spec), "width": width, "height": height}
    sized["config"] = {**sized.get("config", {}), "aria": True}
    return sized


def _stacked(specs: list[dict[str, Any]]) -> dict[str, Any]:
    """Sized specs one above the other in one spec (one SVG) with the first's config."""
    views = [{k: v for k, v in s.items() if k not in ("$schema", "config")} for s in specs]
    return {
        "$schema": specs[0]["$schema"],
        "config": specs[0]["config"],
        "vconcat": views,
        "spacing": 30,
        "resolve": {"scale": {"color": "independent", "strokeWidth": "independent"}},
    }


def svg(spec: dict[str, Any]) -> str:
    """A Vega-Lite spec (with inline data) as an SVG string, rendered without network.
    vl-convert escapes every text (titles, labels, interventions), so the SVG can be
    inlined in a page as it is. Cached by the spec's content: the same figures give the
    same SVG, and any change of data, consent or membership changes the spec."""
    import vl_convert as vlc

    key = "pack:svg:" + _digest(json.dumps(spec, sort_keys=True, ensure_ascii=False))
    drawn = cache.get(key)
    if drawn is None:
        drawn = vlc.vegalite_to_svg(vl_spec=spec, allowed_base_urls=[])
        cache.set(key, drawn, timeout=CACHE_SECONDS)
    return drawn


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def indicator_slides(meeting: Meeting, *, layout: Layout = "page") -> list[IndicatorSlide]:
    """The meeting's chosen indicators, each with the cluster's anonymised funnel plot for
    the latest quarter and its run chart (against the region and the nation) to then."""
    cluster = meeting.own_cluster
    on = selectors.meeting_date(meeting)
    member_ids = [m.clinic_id for m in cluster_memberships_on(cluster=cluster, on=on)]
    slides = []
    latest = quality.cluster_latest_months(cluster=cluster)
    for indicator in meeting.indicators.order_by("code"):
        slide = IndicatorSlide(indicator)
        slides.append(slide)
        last = latest.get(indicator.pk)
        if last is None:
            continue
        bench = quality.benchmark(
            viewer=None,
            cluster=cluster,
            indicator=indicator,
            last=last,
            months=FUNNEL_MONTHS,
            on=on,
            anonymised=True,
        )
        first = _first_month(indicator=indicator, clinic_ids=member_ids, last=last)
        trend = quality.cluster_trend(
            cluster=cluster, indicator=indicator, first=first, last=last, identified=False
        )
        reported = trend.series.reported or []
        region, nation = (
            quality.comparator_series(
                indicator=indicator, region=area, first=first, last=last, cluster_reported=reported
            )
            for area in (region_of(cluster.municipality_id, last), None)
        )
        # Every point carries its label: the pack is anonymised, so labels are pseudonyms.
        funnel = charts.funnel_spec(
            bench, target_key="cluster", tau2=_national_tau2(bench), label_all=True
        )
        run = charts.run_chart_spec(trend, indicator, others=[region, nation])
        slide.last, slide.bench, slide.trend, slide.run_spec = last, bench, trend, run
        slide.verdict = charts.verdict(trend, indicator)
        width, funnel_height, run_height = SIZES[layout]
        sized = [_sized(funnel, width, funnel_height), _sized(run, width, run_height)]
        slide.svgs = [svg(_stacked(sized))] if layout == "page" else [svg(s) for s in sized]
    return slides


def chart_svgs(meeting: Meeting) -> list[tuple[Indicator, str]]:
    """(indicator, SVG) for each chosen indicator, as in the PDF: the funnel plot above
    the run chart; the SVG is "" for an indicator without data."""
    return [(s.indicator, "".join(s.svgs)) for s in indicator_slides(meeting, layout="page")]


def pack_context(meeting: Meeting, *, layout: Layout = "page") -> dict[str, Any]:
    """What the PDF and the presentation show: the meeting, its agenda, the open actions
    (carried over from earlier meetings, then this meeting's own) and the chart slides."""
    items = list(meeting.items.select_related("owner"))
    carried = selectors.open_actions(meeting=meeting)
    own = list(
        meeting.actions.filter(status=Action.Status.OPEN)
        .select_related("owner", "meeting")
        .order_by("due", "id")
    )
    return {
        "meeting": meeting,
        "cluster": meeting.cluster,
        "day": selectors.meeting_date(meeting),
        "items": items,
        "total_minutes": sum(i.duration or 0 for i in items),
        "actions": carried + own,
        "slides": indicator_slides(meeting, layout=layout),
        "threshold": settings.KLYNGE_SUPPRESSION_THRESHOLD,
        "generated": timezone.localtime(),
    }


def pack_pdf(meeting: Meeting) -> bytes:
    """The meeting pack as PDF, in Danish like the cluster's other records. Cached by
    its content (the HTML it is printed from, which says the day it was printed): a
    repeat download skips the printing, and whatever changes — data, a revoked consent,
    a member who left, an action done — changes the HTML and so prints anew."""
    with translation.override(settings.LANGUAGE_CODE):
        context = pack_context(meeting, layout="page")
        html = render_to_string("meetings/pack/pdf.html", context)
    key = "pack:pdf:" + _digest(html)
    pdf = cache.get(key)
    if pdf is None:
        pdf = render_pdf(html, author=context["cluster"].name)
        cache.set(key, pdf, timeout=CACHE_SECONDS)
    return pdf
