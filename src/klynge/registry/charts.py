"""Vega-Lite specs for the registry, built as plain dicts (rendered by vega-embed in
the browser; the same specs export to SVG/PNG with vl-convert)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from klynge.core import jurisdiction
from klynge.registry.geography import region_map_file
from klynge.registry.selectors import OverviewRow

VEGA_LOCALE_DA = {
    "number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", "\u00a0kr."]},
    "time": {
        "dateTime": "%A den %d. %B %Y %X",
        "date": "%d.%m.%Y",
        "time": "%H:%M:%S",
        "periods": ["AM", "PM"],
        "days": ["søndag", "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag"],
        "shortDays": ["søn", "man", "tir", "ons", "tor", "fre", "lør"],
        "months": [
            "januar",
            "februar",
            "marts",
            "april",
            "maj",
            "juni",
            "juli",
            "august",
            "september",
            "oktober",
            "november",
            "december",
        ],
        "shortMonths": [
            "jan",
            "feb",
            "mar",
            "apr",
            "maj",
            "jun",
            "jul",
            "aug",
            "sep",
            "okt",
            "nov",
            "dec",
        ],
    },
}


VEGA_LOCALE_EN = {
    "number": {"decimal": ".", "thousands": ",", "grouping": [3], "currency": ["", "\u00a0kr."]},
}


def vega_locale() -> dict:
    """Number and date formats for Vega in the page's language, with the jurisdiction's
    separators and currency (Denmark: the dicts above as they are)."""
    base = VEGA_LOCALE_DA if (get_language() or "da").startswith("da") else VEGA_LOCALE_EN
    active = jurisdiction.active()
    style, money = active.number_format(get_language()), active.currency
    number = {
        "decimal": style.decimal,
        "thousands": style.thousands,
        "grouping": [style.grouping],
        "currency": [money.symbol, ""] if money.prefix else ["", f"\u00a0{money.symbol}"],
    }
    return {**base, "number": number}


def cluster_map_spec(
    rows: list[OverviewRow],
    *,
    region: int | None = None,
    municipalities: list[int] | None = None,
    on: dt.date | None = None,
) -> dict | None:
    """Denmark's municipalities as the base layer with the borders of the regions in
    force on `on` (four from 1 January 2027), one circle per cluster at its coordinator's
    practice, sized by participating doctors; the filtered region's municipalities on
    `on` (`municipalities`) are shaded. Clicking a circle opens the cluster's page.
    None in a jurisdiction that ships no map (the page says so instead of drawing
    Denmark)."""
    if not jurisdiction.active().has_map:
        return None
    points = [
        {
            "name": row.cluster.name,
            "lat": row.latitude,
            "lon": row.longitude,
            "doctors": row.doctors,
            "clinics": row.clinics,
            "patients": row.listed_patients,
            "municipality": row.municipality.name,
            "url": reverse("registry:cluster.detail", args=[row.cluster.slug]),
        }
        for row in rows
        if row.latitude is not None
    ]
    fill: dict[str, Any] = {"value": "#eef2f1"}
    if region and municipalities is not None:
        codes = ",".join(str(int(c)) for c in sorted(municipalities))
        fill = {
            "condition": {
                "test": f"indexof([{codes}], datum.properties.kommunenr) >= 0",
                "value": "#cfe3de",
            },
            "value": "#f4f6f6",
        }
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v6.json",
        # The map's accessible name (vega-embed otherwise says "Vega visualization");
        # the marks' generated English descriptions are hidden, and the clusters are in
        # the table under the map, which is also the keyboard's way to each cluster.
        "description": ngettext(
            "Map of Denmark with one circle per cluster (%(n)s cluster), sized by "
            "participating doctors. The clusters are in the table below the map.",
            "Map of Denmark with one circle per cluster (%(n)s clusters), sized by "
            "participating doctors. The clusters are in the table below the map.",
            len(points),
        )
        % {"n": len(points)},
        "width": "container",
        "height": 460,
        "autosize": {"type": "fit", "contains": "padding"},
        "projection": {"type": "mercator"},
        "config": {"view": {"stroke": None}, "locale": vega_locale(), "aria": False},
        "layer": [
            {
                "data": {
                    "url": static("registry/dk_kommuner_forenklet.geojson"),
                    "format": {"type": "json", "property": "features"},
                },
                "mark": {"type": "geoshape", "stroke": "#9fb3ae", "strokeWidth": 0.4},
                "encoding": {
                    "fill": fill,
                    "tooltip": {
                        "field": "properties.navn",
                        "type": "nominal",
                        "title": _("Municipality"),
                    },
                },
            },
            {
                "data": {
                    "url": static(region_map_file(on or timezone.localdate())),
                    "format": {"type": "json", "property": "features"},
                },
                "mark": {
                    "type": "geoshape",
                    "filled": False,
                    "stroke": "#4f6f68",
                    "strokeWidth": 1.1,
                },
                "encoding": {
                    "tooltip": {
                        "field": "properties.navn",
                        "type": "nominal",
                        "title": _("Region"),
                    },
                },
            },
            {
                "data": {"values": points},
                "mark": {
                    "type": "circle",
                    "opacity": 0.75,
                    "color": "#0f6b5c",
                    "stroke": "white",
                    "strokeWidth": 0.8,
                    "cursor": "pointer",
                },
                "encoding": {
                    "longitude": {"field": "lon", "type": "quantitative"},
                    "latitude": {"field": "lat", "type": "quantitative"},
                    "size": {
                        "field": "doctors",
                        "type": "quantitative",
                        "title": _("Doctors"),
                        "scale": {"domain": [0, 80], "range": [15, 260]},
                        "legend": {"orient": "top-right", "values": [10, 30, 70]},
                    },
                    "href": {"field": "url", "type": "nominal"},
                    "tooltip": [
                        {"field": "name", "type": "nominal", "title": _("Cluster")},
                        {"field": "municipality", "type": "nominal", "title": _("Municipality")},
                        {
                            "field": "clinics",
                            "type": "quantitative",
                            "title": _("Clinics"),
                            "format": ",d",
                        },
                        {
                            "field": "doctors",
                            "type": "quantitative",
                            "title": _("Doctors"),
                            "format": ",d",
                        },
                        {
                            "field": "patients",
                            "type": "quantitative",
                            "title": _("Listed patients"),
                            "format": ",d",
                        },
                    ],
                },
            },
        ],
    }
