"""Vega-Lite specs for quality data, as plain dicts: funnel plots, run charts (with the
Anhøj verdict), P′ charts and small multiples. The browser renders them with
vega-embed; vl-convert can export the same specs to SVG/PNG for PDFs.

Colours avoid red/green (colour-blind safe): blue for clinics, orange for the viewer's
own clinic and for signals, grey for reference levels.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klynge.quality import stats
from klynge.quality.models import Indicator
from klynge.quality.selectors import Benchmark, Trend
from klynge.registry.charts import vega_locale

BLUE, ORANGE, GREY, DARK = "#1f6fb2", "#e07b00", "#8a8f98", "#2d3748"


def _scale(indicator: Indicator) -> float:
    return indicator.scale  # 100 for shares (percent), 1000 for rates


def _axis_title(indicator: Indicator) -> str:
    return _("per 1,000 listed patients") if indicator.is_rate else _("percent")


def _base(title: str, description: str, height: int = 320) -> dict[str, Any]:
    """A chart's frame: its title (wrapped, so a long title is never cut off), its
    accessible name in the page's language (`description`: vega-embed otherwise names
    every chart "Vega visualization") and no per-mark ARIA (the marks' generated English
    descriptions are hidden; the chart's numbers are in a table beside it)."""
    lines = textwrap.wrap(title, TITLE_WIDTH) or [title]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": description,
        "title": {"text": lines if len(lines) > 1 else title, "anchor": "start", "fontSize": 14},
        "width": "container",
        "height": height,
        "config": {
            "locale": vega_locale(),
            "view": {"stroke": None},
            "axis": {"labelFontSize": 11},
            "aria": False,
        },
    }


TITLE_WIDTH = 60  # characters on a title line (about 500 px at 14 px)


def _month_table(caption: str, indicator: Indicator, layer: int | None, **extra: Any) -> dict:
    """`usermeta.table` for a series by month (see core/templatetags/charts.py)."""
    value = {"title": _axis_title(indicator), "decimals": 1}
    return {
        "caption": caption,
        "layer": layer,
        "row": {"field": "month", "title": _("Month"), "kind": "month"},
        **({"columns": [{"field": "value", **value}]} | extra),
    }


def month_label(day: dt.date) -> str:
    return date_format(day, "YEAR_MONTH_FORMAT")


# --- Verdicts in plain words --------------------------------------------------------------------


def verdict(trend: Trend, indicator: Indicator) -> str:
    """The Anhøj verdict in plain Danish (or English) words."""
    a = trend.analysis
    if a.signal is None:
        return _(
            "Too few data points for a verdict (%(n)s useful points; at least 10 are needed)."
        ) % {"n": a.n_useful}
    baseline = _("the baseline median") if trend.baseline else _("the median")
    if a.runs_signal and a.longest_run_start is not None:
        side = _("above") if a.longest_run_side > 0 else _("below")
        since = month_label(trend.series.months[a.longest_run_start])
        text = _("Signal: %(n)s months in a row %(side)s %(baseline)s since %(since)s.") % {
            "n": a.longest_run,
            "side": side,
            "baseline": baseline,
            "since": since,
        }
        better = (a.longest_run_side < 0) == (indicator.direction == "lower")
        if indicator.direction != "neither":
            text += " " + (
                _("That is a change for the better.")
                if better
                else _("That is a change for the worse.")
            )
        return text
    if a.crossings_signal:
        return ngettext(
            "Signal: the series crosses %(baseline)s only %(c)s time (at least %(min)s expected by chance).",
            "Signal: the series crosses %(baseline)s only %(c)s times (at least %(min)s expected by chance).",
            a.crossings,
        ) % {
            "baseline": baseline,
            "c": a.crossings,
            "min": a.crossings_min,
        }
    return ngettext(
        "No signal: the variation looks random (longest run %(run)s, at most %(max)s expected; %(c)s crossing).",
        "No signal: the variation looks random (longest run %(run)s, at most %(max)s expected; %(c)s crossings).",
        a.crossings,
    ) % {
        "run": a.longest_run,
        "max": a.longest_run_max,
        "c": a.crossings,
    }


MIN_BASELINE = 6  # months before an intervention needed for a frozen baseline


def intervention_effects(trend: Trend, indicator: Indicator) -> list[tuple[Any, str]]:
    """ "Did it move?" (DATA-6): for each intervention, a plain statement comparing the
    months after it with a baseline frozen before it (Anhøj's runs analysis against
    the baseline median), with dates."""
    s = trend.series
    scale = _scale(indicator)
    values = np.array([np.nan if v is None else v for v in s.values])
    out = []
    for intervention in trend.interventions:
        k = sum(1 for m in s.months if m < intervention.date)
        before = values[:k][~np.isnan(values[:k])]
        after = values[k:][~np.isnan(values[k:])]
        when = date_format(intervention.date, "DATE_FORMAT")
        if k == len(s.months) or after.size == 0:
            out.append((intervention, _("No data after %(date)s yet.") % {"date": when}))
            continue
        if before.size < MIN_BASELINE:
            out.append(
                (
                    intervention,
                    _(
                        "Too few months before %(date)s for a baseline (%(n)s; at least %(min)s are needed)."
                    )
                    % {"date": when, "n": before.size, "min": MIN_BASELINE},
                )
            )
            continue
        a = stats.runs_analysis(values, baseline=k)
        median = a.median * scale
        unit = "‰" if indicator.is_rate else "%"
        text = _("Before %(date)s (%(first)s to %(end)s) the median was %(median)s %(unit)s.") % {
            "date": when,
            "first": month_label(s.months[0]),
            "end": month_label(s.months[k - 1]),
            "median": f"{median:.1f}".replace(".", ","),
            "unit": unit,
        }
        if a.signal is None:
            text += " " + _("Too few data points after it for a verdict yet.")
        elif (
            a.runs_signal
            and a.longest_run_start is not None
            and a.longest_run_end is not None
            and a.longest_run_end >= k
        ):
            side = _("below") if a.longest_run_side < 0 else _("above")
            text += " " + _(
                "After it: a signal, %(n)s months in a row %(side)s that median from %(since)s."
            ) % {
                "n": a.longest_run,
                "side": side,
                "since": month_label(s.months[a.longest_run_start]),
            }
            if indicator.direction != "neither":
                better = (a.longest_run_side < 0) == (indicator.direction == "lower")
                text += " " + (
                    _("That is a change for the better.")
                    if better
                    else _("That is a change for the worse.")
                )
        elif a.crossings_signal:
            text += " " + ngettext(
                "After it: a signal, the series crosses that median only %(c)s time (at least %(min)s expected by chance).",
                "After it: a signal, the series crosses that median only %(c)s times (at least %(min)s expected by chance).",
                a.crossings,
            ) % {"c": a.crossings, "min": a.crossings_min}
        else:
            text += " " + _(
                "After it (%(first)s to %(last)s): no signal; the data vary around the same level."
            ) % {"first": month_label(s.months[k]), "last": month_label(s.months[-1])}
        out.append((intervention, text))
    return out


# --- Funnel plot ------------------------------------------------------------------------------------


def funnel_spec(
    bench: Benchmark, *, target_key: str = "cluster", tau2: float = 0.0, label_all: bool = False
) -> dict[str, Any]:
    """The clinics' values against their denominators within control limits. Points
    outside 99.8 % and the viewer's own clinic carry their label; `label_all` labels
    every point (the meeting pack, whose labels are always pseudonyms)."""
    indicator = bench.indicator
    scale = _scale(indicator)
    kind = stats.RATE if indicator.is_rate else stats.PROPORTION
    target_level = bench.targets.get(target_key) or bench.cluster_level
    points = [p for p in bench.points if p.value is not None and p.denominator]
    sizes = [float(p.denominator or 0) for p in points]
    layers: list[dict[str, Any]] = []
    if target_level.value is not None and points:
        max_n = max(sizes) * 1.15
        grid = np.unique(np.round(np.geomspace(max(1, min(sizes) * 0.6), max_n, 80)))
        lines = []
        for level, name in ((0.95, "95 %"), (0.998, "99,8 %")):
            if tau2 > 0:
                lo, hi = stats.funnel_limits_overdispersed(
                    target_level.value, grid, level, tau2, kind
                )
            else:
                lo, hi = stats.funnel_limits(target_level.value, grid, level, kind)
            for n, low, high in zip(grid, lo, hi, strict=True):
                lines.append(
                    {
                        "n": float(n),
                        "limit": name,
                        "side": "lower",
                        "value": round(float(low) * scale, 4),
                    }
                )
                lines.append(
                    {
                        "n": float(n),
                        "limit": name,
                        "side": "upper",
                        "value": round(float(high) * scale, 4),
                    }
                )
        layers.append(
            {
                "data": {"values": lines},
                "mark": {"type": "line", "strokeDash": [4, 3], "color": GREY},
                "encoding": {
                    "x": {"field": "n", "type": "quantitative"},
                    "y": {"field": "value", "type": "quantitative"},
                    "detail": [{"field": "limit"}, {"field": "side"}],
                    "strokeWidth": {
                        "field": "limit",
                        "type": "nominal",
                        "scale": {"domain": ["95 %", "99,8 %"], "range": [1, 2]},
                        "legend": {"title": _("Control limits"), "orient": "bottom"},
                    },
                },
            }
        )
        layers.append(
            {
                "data": {"values": [{"y": target_level.value * scale}]},
                "mark": {"type": "rule", "color": DARK, "strokeWidth": 1.5},
                "encoding": {"y": {"field": "y", "type": "quantitative"}},
            }
        )
    if target_level.value is not None and points:
        # Classified by the exact tail probability of the point's count, so a common
        # count (20 of 20 at a 95 % target) is never called an outlier.
        side = stats.funnel_outside(
            [p.count for p in points],
            sizes,
            target_level.value,
            0.998,
            kind,
            tau2=tau2,
        )
        for p, s in zip(points, side, strict=True):
            p.outside_998 = bool(s)
    data = [
        {
            "label": p.label,
            "n": p.denominator,
            "value": (p.value or 0.0) * scale,
            "own": p.own,
            "outside": p.outside_998,
        }
        | ({} if bench.size_classes else {"numerator": p.numerator})
        for p in points
    ]
    if bench.size_classes:
        # Pseudonyms stand at their size class: no count of their own is published.
        size_title = _("Size (for pseudonyms the mean of their size class)")
        tooltip = [
            {"field": "label", "title": _("Clinic")},
            {"field": "value", "title": _axis_title(indicator), "format": ",.1f"},
            {"field": "n", "title": size_title, "format": ",d"},
        ]
    else:
        size_title = _("Denominator (number of patients or prescriptions)")
        tooltip = [
            {"field": "label", "title": _("Clinic")},
            {"field": "value", "title": _axis_title(indicator), "format": ",.1f"},
            {"field": "numerator", "title": _("Numerator"), "format": ",d"},
            {"field": "n", "title": _("Denominator"), "format": ",d"},
        ]
    layers.append(
        {
            "data": {"values": data},
            "mark": {"type": "circle", "size": 90, "opacity": 0.9, "stroke": "white"},
            "encoding": {
                "x": {
                    "field": "n",
                    "type": "quantitative",
                    "title": size_title,
                    "scale": {"zero": False, "type": "log"},
                    "axis": {"labelOverlap": "greedy", "labelSeparation": 6},
                },
                "y": {"field": "value", "type": "quantitative", "title": _axis_title(indicator)},
                "color": {
                    "field": "own",
                    "type": "nominal",
                    "scale": {"domain": [False, True], "range": [BLUE, ORANGE]},
                    "legend": None,
                },
                "size": {"condition": {"test": "datum.own", "value": 220}, "value": 90},
                "tooltip": tooltip,
            },
        }
    )
    layers.append(
        {
            "data": {"values": [d for d in data if label_all or d["own"] or d["outside"]]},
            "mark": {"type": "text", "dx": 9, "align": "left", "fontSize": 11, "color": DARK},
            "encoding": {
                "x": {"field": "n", "type": "quantitative"},
                "y": {"field": "value", "type": "quantitative"},
                "text": {"field": "label"},
            },
        }
    )
    spec = _base(
        {
            "cluster": _("%(title)s: the clinics against the cluster's value"),
            "region": _("%(title)s: the clinics against the region's value"),
            "nation": _("%(title)s: the clinics against the national value"),
        }[target_key]
        % {"title": indicator.title},
        _(
            "Funnel plot: %(title)s. Each clinic is a point, its value against its number of "
            "patients; dashed lines are the 95 %% and 99.8 %% control limits. The numbers "
            "are in the table below."
        )
        % {"title": indicator.title},
    )
    spec["layer"] = layers
    return spec


# --- Run chart ------------------------------------------------------------------------------------------


def run_chart_spec(
    trend: Trend, indicator: Indicator, *, others: Sequence[Any] = (), height: int = 300
) -> dict[str, Any]:
    """The series with its (frozen) median, interventions and the goal. The median is
    drawn dashed orange when the runs analysis finds a signal."""
    scale = _scale(indicator)
    s = trend.series
    hidden = set(trend.hidden_months)
    values = [
        {
            "month": m.isoformat(),
            "value": (v * scale if v is not None and m not in hidden else None),
            "series": s.label,
        }
        for m, v in zip(s.months, s.values, strict=True)
    ]
    for other in others:
        values += [
            {
                "month": m.isoformat(),
                "value": v * scale if v is not None else None,
                "series": other.label,
            }
            for m, v in zip(other.months, other.values, strict=True)
        ]
    signal = bool(trend.analysis.signal)
    median = trend.analysis.median * scale if trend.analysis.n_useful else None
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": values},
            "mark": {"type": "line", "point": {"size": 30}, "interpolate": "linear"},
            "encoding": {
                "x": {
                    "field": "month",
                    "type": "temporal",
                    "title": None,
                    "axis": {"format": "%b %Y"},
                },
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": _axis_title(indicator),
                    "scale": {"zero": False},
                },
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "title": None,
                    # The series first (blue), then the comparisons in the order given.
                    "scale": {
                        "domain": [s.label, *(o.label for o in others)],
                        "range": [BLUE, GREY, "#b3b8c2", ORANGE],
                    },
                    "legend": {"orient": "bottom"},
                },
                "tooltip": [
                    {"field": "series", "title": _("Series")},
                    {"field": "month", "type": "temporal", "format": "%B %Y", "title": _("Month")},
                    {"field": "value", "format": ",.2f", "title": _axis_title(indicator)},
                ],
            },
        }
    ]
    if median is not None:
        end = s.months[trend.baseline - 1] if trend.baseline else s.months[-1]
        layers.append(
            {
                "data": {
                    "values": [
                        {"from": s.months[0].isoformat(), "to": end.isoformat(), "median": median},
                        {"from": end.isoformat(), "to": s.months[-1].isoformat(), "median": median},
                    ]
                },
                "mark": {"type": "rule", "strokeWidth": 2},
                "encoding": {
                    "x": {"field": "from", "type": "temporal"},
                    "x2": {"field": "to"},
                    "y": {"field": "median", "type": "quantitative"},
                    "color": {"value": ORANGE if signal else DARK},
                    "strokeDash": {"value": [6, 4] if signal else [1, 0]},
                },
            }
        )
    if trend.interventions:
        layers.append(
            {
                "data": {
                    "values": [
                        {"date": i.date.isoformat(), "text": i.text[:40]}
                        for i in trend.interventions
                    ]
                },
                "layer": [
                    {
                        "mark": {"type": "rule", "color": ORANGE, "strokeWidth": 1.5},
                        "encoding": {"x": {"field": "date", "type": "temporal"}},
                    },
                    {
                        "mark": {
                            "type": "text",
                            "align": "left",
                            "dx": 4,
                            "dy": -6,
                            "fontSize": 10,
                            "color": ORANGE,
                            "y": 0,
                        },
                        "encoding": {
                            "x": {"field": "date", "type": "temporal"},
                            "text": {"field": "text"},
                        },
                    },
                ],
            }
        )
    if trend.goal is not None:
        layers.append(
            {
                "data": {"values": [{"y": trend.goal.target * scale}]},
                "mark": {
                    "type": "rule",
                    "color": "#6b46c1",
                    "strokeDash": [2, 2],
                    "strokeWidth": 2,
                },
                "encoding": {"y": {"field": "y", "type": "quantitative"}},
            }
        )
    series = ", ".join([s.label, *(o.label for o in others)])
    spec = _base(
        indicator.title,
        _(
            "Run chart: %(title)s, month by month (%(series)s), with the median. The numbers "
            "are in the table below."
        )
        % {"title": indicator.title, "series": series},
        height,
    )
    spec["layer"] = layers
    spec["usermeta"] = {
        "table": _month_table(
            _("%(title)s by month") % {"title": indicator.title},
            indicator,
            0,
            pivot={"series": "series", "value": "value", "decimals": 1},
        )
    }
    return spec


def p_prime_spec(
    series, indicator: Indicator, *, baseline: int | None = None, height: int = 260
) -> dict[str, Any]:
    """Laney P′ (U′ for rates) chart for a large series (a region or the nation)."""
    scale = _scale(indicator)
    kind = stats.RATE if indicator.is_rate else stats.PROPORTION
    limits = stats.control_limits(
        series.numerators, series.denominators, kind=kind, baseline=baseline, prime=True
    )

    def scaled(x) -> float | None:
        """A limit on the chart's scale; a month without data has none (NaN is not JSON)."""
        return float(x) * scale if np.isfinite(x) else None

    values = []
    for m, v, lo, hi in zip(series.months, series.values, limits.lower, limits.upper, strict=True):
        known = bool(np.isfinite(lo) and np.isfinite(hi))
        values.append(
            {
                "month": m.isoformat(),
                "value": v * scale if v is not None else None,
                "lcl": scaled(lo),
                "ucl": scaled(hi),
                "outside": known and v is not None and not (lo <= v <= hi),
            }
        )
    spec = _base(
        _("%(title)s, %(series)s: P′ control chart")
        % {"title": indicator.title, "series": series.label},
        _(
            "P′ control chart: %(title)s, %(series)s, month by month with control limits. "
            "The numbers are in the table below."
        )
        % {"title": indicator.title, "series": series.label},
        height,
    )
    spec["data"] = {"values": values}
    spec["usermeta"] = {
        "table": _month_table(
            _("%(title)s, %(series)s, by month, with control limits")
            % {"title": indicator.title, "series": series.label},
            indicator,
            None,
            columns=[
                {"field": "value", "title": _axis_title(indicator), "decimals": 1},
                {"field": "lcl", "title": _("Lower limit"), "decimals": 1},
                {"field": "ucl", "title": _("Upper limit"), "decimals": 1},
                {"field": "outside", "title": _("Outside the limits")},
            ],
        )
    }
    spec["layer"] = [
        {
            "mark": {"type": "area", "opacity": 0.15, "color": GREY},
            "encoding": {
                "x": {"field": "month", "type": "temporal", "title": None},
                "y": {"field": "lcl", "type": "quantitative"},
                "y2": {"field": "ucl"},
            },
        },
        {
            "data": {"values": [{"y": scaled(limits.centre)}]},
            "mark": {"type": "rule", "color": DARK},
            "encoding": {"y": {"field": "y", "type": "quantitative"}},
        },
        {
            "mark": {"type": "line", "point": True, "color": BLUE},
            "encoding": {
                "x": {"field": "month", "type": "temporal"},
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": _axis_title(indicator),
                    "scale": {"zero": False},
                },
                "tooltip": [
                    {"field": "month", "type": "temporal", "format": "%B %Y"},
                    {"field": "value", "format": ",.2f"},
                ],
            },
        },
        {
            "transform": [{"filter": "datum.outside"}],
            "mark": {"type": "point", "size": 120, "color": ORANGE, "filled": True},
            "encoding": {
                "x": {"field": "month", "type": "temporal"},
                "y": {"field": "value", "type": "quantitative"},
            },
        },
    ]
    return spec


def sparkline_spec(trend: Trend, indicator: Indicator) -> dict[str, Any]:
    scale = _scale(indicator)
    values = [
        {
            "month": m.isoformat(),
            "value": v * scale if v is not None and m not in trend.hidden_months else None,
        }
        for m, v in zip(trend.series.months, trend.series.values, strict=True)
    ]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        "description": _("Trend for %(title)s, month by month. The numbers are in the table below.")
        % {"title": indicator.title},
        "width": "container",
        "height": 70,
        "padding": 2,
        "config": {"view": {"stroke": None}, "locale": vega_locale(), "aria": False},
        "usermeta": {
            "table": _month_table(
                _("%(title)s by month") % {"title": indicator.title}, indicator, None
            )
        },
        "data": {"values": values},
        "layer": [
            {
                "mark": {"type": "line", "color": BLUE, "strokeWidth": 1.5},
                "encoding": {
                    "x": {"field": "month", "type": "temporal", "axis": None},
                    "y": {
                        "field": "value",
                        "type": "quantitative",
                        "axis": None,
                        "scale": {"zero": False},
                    },
                },
            },
            {
                "mark": {
                    "type": "rule",
                    "color": ORANGE if trend.analysis.signal else GREY,
                    "strokeDash": [3, 2],
                },
                "data": {
                    "values": [{"y": trend.analysis.median * scale}]
                    if trend.analysis.n_useful
                    else []
                },
                "encoding": {"y": {"field": "y", "type": "quantitative"}},
            },
        ],
    }
