"""Loads the shipped Danish geography (regions, the 98 municipalities, postal areas
with label points) from `registry/data/`. Source and attribution: `data/SOURCES.md`.
Idempotent: used by a data migration and safe to run again."""

from __future__ import annotations

import csv
import datetime as dt
import json
from itertools import pairwise
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

ATTRIBUTION = (
    "Indeholder data fra Geodatastyrelsen (nu Styrelsen for Dataforsyning og Infrastruktur) "
    "og Danske Kommuner, DAGI/FOT 1:500.000, 2014-02-13 (via github.com/Neogeografen/dagi)."
)


def _rows(name: str) -> list[dict[str, str]]:
    with open(DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def load_geography(Region, Municipality, PostalCode) -> None:
    for row in _rows("dk_regioner.csv"):
        Region.objects.update_or_create(
            code=int(row["regionskode"]),
            defaults={"name": row["navn"], "iso_code": row["region_iso"], "nuts2": row["nuts2"]},
        )
    for row in _rows("dk_kommune_region.csv"):
        if row["er_kommune"] != "1":  # Christiansø is outside the municipal division
            continue
        Municipality.objects.update_or_create(
            code=int(row["kommunenr"]),
            defaults={"name": row["navn"], "region_id": int(row["regionskode"])},
        )
    try:
        AreaMember = Region._meta.apps.get_model("registry", "AreaMember")
    except LookupError:  # migration 0002: dated areas come with 0004
        AreaMember = None
    if AreaMember is not None:
        load_region_reform(Region, Municipality, AreaMember)
    if not PostalCode.objects.exists():
        PostalCode.objects.bulk_create(
            PostalCode(
                code_from=int(row["postnr_fra"]),
                code_to=int(row["postnr_til"]),
                name=row["navn"],
                municipality_id=int(row["kommunekode"]),
                latitude=float(row["label_lat"]),
                longitude=float(row["label_lon"]),
            )
            for row in _rows("dk_postnumre.csv")
        )


REGIONS_FROM = dt.date(2007, 1, 1)
REFORM_2027 = dt.date(2027, 1, 1)
MERGED_2027 = (1084, 1085)  # Region Hovedstaden, Region Sjælland
OSTDANMARK = 1086  # provisional code: no official one was published (ADR 8)


def load_region_reform(Region, Municipality, AreaMember) -> None:
    """The regions as dated data (ADR 8): the five regions from 2007-01-01, each
    municipality in its region from then; Hovedstaden and Sjælland end on 2027-01-01
    with Region Østdanmark (headquarters Sorø) as successor, which has their 46
    municipalities from that day (law no. 699 of 20 June 2025, § 126). Idempotent:
    used by migration 0004 and after a test database is flushed."""
    Region.objects.filter(start__isnull=True).update(start=REGIONS_FROM)
    east, _created = Region.objects.update_or_create(
        code=OSTDANMARK,
        defaults={
            "name": "Region Østdanmark",
            "layer": "region",
            "start": REFORM_2027,
            "end": None,
            "seat": "Sorø",
            "iso_code": "",
            "nuts2": "",
        },
    )
    Region.objects.filter(code__in=MERGED_2027).update(end=REFORM_2027, successor=east)
    if AreaMember.objects.exists():
        return
    rows = []
    for mun in Municipality.objects.order_by("code"):
        merged = mun.region_id in MERGED_2027
        rows.append(
            AreaMember(
                area_id=mun.region_id,
                municipality=mun,
                start=REGIONS_FROM,
                end=REFORM_2027 if merged else None,
            )
        )
        if merged:
            rows.append(AreaMember(area=east, municipality=mun, start=REFORM_2027, end=None))
    AreaMember.objects.bulk_create(rows)


# --- Region maps on a date ----------------------------------------------------------------------
#
# The map draws the regions in force on the day shown. Until 2026 the five regions of
# 2007 (`dk_regioner_forenklet.geojson`, dissolved from the simplified municipalities);
# from 1 January 2027 four, Region Østdanmark being the union of Hovedstaden and
# Sjælland (`dk_regioner_2027_forenklet.geojson`, made by `merge_regions` below and
# shipped; `python -m klynge.registry.geography` rebuilds it).

REGION_MAPS: list[tuple[dt.date, str]] = [
    (dt.date(2007, 1, 1), "registry/dk_regioner_forenklet.geojson"),
    (dt.date(2027, 1, 1), "registry/dk_regioner_2027_forenklet.geojson"),
]
STATIC = Path(__file__).resolve().parent / "static" / "registry"


def region_map_file(on: dt.date) -> str:
    """The static path of the region borders in force on `on`."""
    path = REGION_MAPS[0][1]
    for start, name in REGION_MAPS:
        if start <= on:
            path = name
    return path


Point = tuple[float, float]


def _ring_area(ring: list[Point]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2


def _inside(point: Point, ring: list[Point]) -> bool:
    x, y = point
    inside = False
    for (x1, y1), (x2, y2) in pairwise(ring):
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside


def merge_polygons(multipolygons: list[list]) -> list:
    """The union of adjacent MultiPolygons that share their borders vertex for vertex
    (regions dissolved from the same municipality layer), without a geometry library:
    every edge drawn by two polygons in opposite directions is an inner border and
    dropped; the remaining edges are chained into rings, and each hole is put in the
    exterior ring that contains it. Ring orientation is kept (exterior rings share the
    sign of the input's exterior rings)."""
    edges: dict[tuple[Point, Point], int] = {}
    exterior_sign = 0.0
    for multi in multipolygons:
        for polygon in multi:
            for i, ring in enumerate(polygon):
                points = [(float(x), float(y)) for x, y in ring]
                if i == 0 and not exterior_sign:
                    exterior_sign = _ring_area(points)
                for a, b in pairwise(points):
                    if a == b:
                        continue
                    if (b, a) in edges:  # shared border: drawn both ways, dropped
                        edges[(b, a)] -= 1
                        if not edges[(b, a)]:
                            del edges[(b, a)]
                    else:
                        edges[(a, b)] = edges.get((a, b), 0) + 1
    outgoing: dict[Point, list[Point]] = {}
    for (a, b), n in edges.items():
        outgoing.setdefault(a, []).extend([b] * n)
    rings: list[list[Point]] = []
    while outgoing:
        start = next(iter(outgoing))
        ring = [start]
        point = start
        while True:
            nexts = outgoing.get(point)
            if not nexts:
                break
            following = nexts.pop()
            if not nexts:
                del outgoing[point]
            ring.append(following)
            point = following
            if point == start:
                break
        if len(ring) >= 4 and ring[0] == ring[-1]:
            rings.append(ring)
    exteriors = [r for r in rings if (_ring_area(r) > 0) == (exterior_sign > 0)]
    holes = [r for r in rings if (_ring_area(r) > 0) != (exterior_sign > 0)]
    polygons: list[list[list[Point]]] = [[r] for r in exteriors]
    for hole in holes:
        for polygon in sorted(polygons, key=lambda p: abs(_ring_area(p[0]))):
            if _inside(hole[0], polygon[0]):
                polygon.append(hole)
                break
    return [[[list(p) for p in ring] for ring in polygon] for polygon in polygons]


def build_region_map_2027(source: Path, target: Path) -> None:
    """Write the 2027 region borders: the three unchanged regions as they are and
    Region Østdanmark (1086) as the union of Hovedstaden (1084) and Sjælland (1085)."""
    with open(source, encoding="utf-8") as fh:
        data = json.load(fh)
    merged = [f for f in data["features"] if f["properties"]["regionskode"] in ("1084", "1085")]
    kept = [f for f in data["features"] if f not in merged]
    east = {
        "type": "Feature",
        "properties": {
            "regionskode": "1086",
            "navn": "Region Østdanmark",
            "region_iso": "",
            "nuts2": "",
            "gyldig_fra": "2027-01-01",
        },
        "geometry": {
            "type": "MultiPolygon",
            "coordinates": merge_polygons([f["geometry"]["coordinates"] for f in merged]),
        },
    }
    data["features"] = sorted([*kept, east], key=lambda f: f["properties"]["regionskode"])
    with open(target, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))


if __name__ == "__main__":
    build_region_map_2027(
        STATIC / "dk_regioner_forenklet.geojson", STATIC / "dk_regioner_2027_forenklet.geojson"
    )
