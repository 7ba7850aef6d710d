"""Rewind GeoJSON polygons for d3-geo (Vega's map projection), which reads rings on the
sphere: exterior rings must run clockwise, holes anticlockwise. The shipped files
follow RFC 7946 (the opposite), which d3 draws as "the whole globe minus Denmark".

    python src/klynge/registry/data/rewind_geojson.py IN.geojson OUT.geojson
"""

import json
import sys
from itertools import pairwise


def _area(ring):
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in pairwise(ring)) / 2


def _polygon(rings):
    out = []
    for i, ring in enumerate(rings):
        clockwise = _area(ring) < 0
        want_clockwise = i == 0
        out.append(ring if clockwise == want_clockwise else ring[::-1])
    return out


def rewind(feature_collection):
    for feature in feature_collection["features"]:
        geometry = feature["geometry"]
        if geometry["type"] == "Polygon":
            geometry["coordinates"] = _polygon(geometry["coordinates"])
        elif geometry["type"] == "MultiPolygon":
            geometry["coordinates"] = [_polygon(p) for p in geometry["coordinates"]]
    return feature_collection


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        data = rewind(json.load(fh))
    with open(sys.argv[2], "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, separators=(",", ":"))
