"""`{{ spec|chart_table }}`: a chart's numbers as a table, read on the server from the
Vega-Lite spec's own data, so the table and the chart can never disagree (WCAG 1.1.1:
the table is the text alternative and the keyboard path to every value).

A spec opts in with `usermeta.table` (Vega-Lite keeps `usermeta` and ignores it):

    {"caption": "...", "layer": 0 | None, "row": {"field": "month", "title": "Måned",
     "kind": "month"}, "columns": [{"field": "value", "title": "Procent", "decimals": 1}],
     "pivot": {"series": "series", "value": "value", "decimals": 1}}

`layer` names the layer whose inline data holds the values (None: the top-level data);
`pivot` makes one column per series (long data, as the run chart's). Domain-free:
chart modules build the metadata."""

from __future__ import annotations

import datetime as dt
import functools
import math
from dataclasses import dataclass, field
from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from klynge.core import formatting

register = template.Library()


@dataclass
class ChartTable:
    caption: str
    headers: list[str]
    rows: list[list[str]] = field(default_factory=list)


def _cell(value: Any, column: dict[str, Any]) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    kind = column.get("kind")
    if kind == "month":
        return _month_label(str(value)[:10], get_language())
    if isinstance(value, bool):
        return _yes_no(value)
    if isinstance(value, int | float):
        return formatting.format_number(value, int(column.get("decimals", 0)))
    return str(value)


@functools.lru_cache(maxsize=4096)
def _month_label(iso: str, language: str) -> str:
    """A month's name in `language` (the active one: it is part of the key). Cached: a
    dashboard's tables name the same few dozen months a thousand times."""
    return date_format(dt.date.fromisoformat(iso), "YEAR_MONTH_FORMAT")


def _yes_no(value: Any) -> str:
    return _("yes") if value else _("no")


def table_from_spec(spec: dict[str, Any] | None) -> ChartTable | None:
    meta = ((spec or {}).get("usermeta") or {}).get("table")
    if not meta or spec is None:
        return None
    layer = meta.get("layer")
    source = spec if layer is None else spec["layer"][layer]
    values: list[dict[str, Any]] = source.get("data", {}).get("values", [])
    row = meta["row"]
    pivot = meta.get("pivot")
    if pivot:
        series: list[str] = []
        cells: dict[Any, dict[str, Any]] = {}
        for v in values:
            name = v[pivot["series"]]
            if name not in series:
                series.append(name)
            cells.setdefault(v[row["field"]], {})[name] = v.get(pivot["value"])
        table = ChartTable(meta["caption"], [row["title"], *series])
        for key, by_series in cells.items():
            table.rows.append([_cell(key, row), *(_cell(by_series.get(s), pivot) for s in series)])
        return table
    columns = meta["columns"]
    table = ChartTable(meta["caption"], [row["title"], *(c["title"] for c in columns)])
    for v in values:
        table.rows.append(
            [_cell(v.get(row["field"]), row), *(_cell(v.get(c["field"]), c) for c in columns)]
        )
    return table


@register.filter
def chart_table(spec: dict[str, Any] | None) -> ChartTable | None:
    return table_from_spec(spec)
