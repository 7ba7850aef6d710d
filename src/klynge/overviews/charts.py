"""The programme dashboard's charts (KNOW-5), as Vega-Lite specs built from the
dashboard's own figures (`dashboard.build`), so a chart can never show another number
than the table and the CSV beside it: coverage by area, meetings held per quarter, and
the year's grants paid against due.

Each spec carries its numbers as a table (`usermeta.table`, rendered by
`core/_chart.html` from the spec's own data) and a description in the page's language:
the text alternative for those who do not see the chart (WCAG 2.1 AA, 1.1.1). Colours
as the quality charts (no red/green)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from klynge.overviews.dashboard import Dashboard
from klynge.registry.charts import vega_locale

BLUE, ORANGE, GREY = "#1f6fb2", "#e07b00", "#8a8f98"
SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"


def _base(title: str, description: str, height: int) -> dict[str, Any]:
    return {
        "$schema": SCHEMA,
        "description": description,
        "title": {"text": title, "anchor": "start", "fontSize": 14},
        "width": "container",
        "height": height,
        "config": {
            "locale": vega_locale(),
            "view": {"stroke": None},
            "axis": {"labelFontSize": 11},
            "aria": False,  # the marks' generated English text is hidden; the table says it
        },
    }


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def coverage_spec(board: Dashboard) -> dict[str, Any]:
    """GPs and clinics in a cluster, as a share, per region (national) or per
    municipality (a region's dashboard), on the dashboard's date."""
    by_region = board.region is None
    area = _("Region") if by_region else _("Municipality")
    gps, clinics = _("GPs in a cluster (%)"), _("Clinics in a cluster (%)")
    values = [
        {
            "area": row.name,
            "doctor_share": _percent(row.doctors_in_cluster, row.doctors),
            "clinic_share": _percent(row.clinics_in_cluster, row.clinics),
            "doctors_in_cluster": row.doctors_in_cluster,
            "doctors": row.doctors,
            "clinics_in_cluster": row.clinics_in_cluster,
            "clinics": row.clinics,
        }
        for row in board.areas
    ]
    title = _("Coverage per region") if by_region else _("Coverage per municipality")
    spec = _base(
        title,
        _("%(title)s: the share of GPs and of clinics in a cluster. The numbers are in the table.")
        % {"title": title},
        height=max(120, 44 * len(values)),
    )
    spec["usermeta"] = {
        "table": {
            "caption": title,
            "layer": None,
            "row": {"field": "area", "title": area},
            "columns": [
                {"field": "doctor_share", "title": gps, "decimals": 1},
                {"field": "doctors_in_cluster", "title": _("GPs in a cluster (number)")},
                {"field": "doctors", "title": _("GPs")},
                {"field": "clinic_share", "title": clinics, "decimals": 1},
                {"field": "clinics_in_cluster", "title": _("Clinics in a cluster (number)")},
                {"field": "clinics", "title": _("Clinics")},
            ],
        }
    }
    spec["data"] = {"values": values}
    spec["transform"] = [
        {"fold": ["doctor_share", "clinic_share"], "as": ["measure", "share"]},
        {
            "calculate": f"datum.measure === 'doctor_share' ? {_js(gps)} : {_js(clinics)}",
            "as": "series",
        },
    ]
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "y": {"field": "area", "type": "nominal", "title": None, "sort": None},
        "yOffset": {"field": "series", "sort": [gps, clinics]},
        "x": {
            "field": "share",
            "type": "quantitative",
            "title": _("percent"),
            "scale": {"domain": [0, 100]},
        },
        "color": {
            "field": "series",
            "type": "nominal",
            "title": None,
            "sort": [gps, clinics],
            "scale": {"range": [BLUE, ORANGE]},
            "legend": {"orient": "bottom"},
        },
    }
    return spec


def meetings_spec(board: Dashboard) -> dict[str, Any]:
    """Meetings held per quarter of the year up to the dashboard's date, with the share
    of the registered who were present."""
    values = [
        {
            "quarter": f"K{q}",
            "held": held,
            "present": present,
            "registered": registered,
            "attendance": _percent(present, registered),
        }
        for q, held, present, registered in board.quarters
    ]
    title = _("Meetings held per quarter, %(year)s") % {"year": board.on.year}
    spec = _base(
        title,
        _("%(title)s, with attendance. The numbers are in the table.") % {"title": title},
        height=220,
    )
    spec["usermeta"] = {
        "table": {
            "caption": title,
            "layer": None,
            "row": {"field": "quarter", "title": _("Quarter")},
            "columns": [
                {"field": "held", "title": _("Meetings held")},
                {"field": "present", "title": _("Present")},
                {"field": "registered", "title": _("Registered")},
                {"field": "attendance", "title": _("Attendance (%)"), "decimals": 1},
            ],
        }
    }
    spec["data"] = {"values": values}
    spec["mark"] = {"type": "bar", "color": BLUE, "tooltip": True}
    spec["encoding"] = {
        "x": {"field": "quarter", "type": "ordinal", "title": None, "axis": {"labelAngle": 0}},
        "y": {
            "field": "held",
            "type": "quantitative",
            "title": _("Meetings held"),
            "axis": {"tickMinStep": 1, "format": "d"},
        },
    }
    return spec


def grants_spec(board: Dashboard) -> dict[str, Any]:
    """The year's grants: paid by the date, due and not paid, and not due on the date
    (the rest of the year's grants: later instalments, dissolved clusters)."""
    total: Decimal = board["grants_total"].value
    paid: Decimal = board["grants_paid"].value
    due: Decimal = board["grants_due"].value
    rest = max(total - paid - due, Decimal("0"))
    values = [
        {"part": _("Paid by the date"), "amount": float(paid), "order": 1},
        {"part": _("Due, not paid"), "amount": float(due), "order": 2},
        {"part": _("Not due on the date"), "amount": float(rest), "order": 3},
    ]
    title = _("Grants for %(year)s: paid and due") % {"year": board.on.year}
    spec = _base(
        title,
        _("%(title)s, in kroner. The numbers are in the table.") % {"title": title},
        height=140,
    )
    spec["usermeta"] = {
        "table": {
            "caption": title,
            "layer": None,
            "row": {"field": "part", "title": _("Grants")},
            "columns": [{"field": "amount", "title": _("Amount (kr.)")}],
        }
    }
    spec["data"] = {"values": values}
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "y": {"field": "part", "type": "nominal", "title": None, "sort": {"field": "order"}},
        "x": {
            "field": "amount",
            "type": "quantitative",
            "title": _("kr."),
            "axis": {"format": ",.0f"},
        },
        "color": {
            "field": "part",
            "type": "nominal",
            "legend": None,
            "sort": {"field": "order"},
            "scale": {"range": [BLUE, ORANGE, GREY]},
        },
    }
    return spec


def dashboard_specs(board: Dashboard) -> dict[str, dict[str, Any]]:
    """Every chart of the dashboard, by its element id."""
    return {
        "chart-coverage": coverage_spec(board),
        "chart-meetings": meetings_spec(board),
        "chart-grants": grants_spec(board),
    }


def _js(text: str) -> str:
    """A string literal for a Vega expression (JSON's quoting is JavaScript's)."""
    return json.dumps(text)
