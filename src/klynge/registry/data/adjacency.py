"""Write `dk_kommune_naboer.csv`: which municipalities are neighbours.

    python src/klynge/registry/data/adjacency.py /work/shared/data/dk_kommuner.geojson

Two municipalities are neighbours by land when their boundaries share at least two
vertices (the source's coordinates are rounded to 1e-5 degrees, so a common border is
written with the same points on both sides). Islands without a land border (in these
polygons) are linked to the municipalities their ferries or bridges serve (`FIXED_LINKS`, below); Bornholm
has no neighbour (its ferries go to Køge and Ystad, hours away): its clinics form their
own cluster. Christiansø (0411) is left out (not a municipality). Run once; the output
is shipped and read by the dataset generator (`klynge.demo.dataset`).
"""

from __future__ import annotations

import csv
import json
import sys
from collections import defaultdict
from pathlib import Path

OUT = Path(__file__).resolve().parent / "dk_kommune_naboer.csv"

# Island municipalities with no land border, linked by their ferry or bridge routes.
FIXED_LINKS = [
    (741, 727, "færge"),  # Samsø - Odder (Sælvig-Hou)
    (741, 326, "færge"),  # Samsø - Kalundborg (Ballen-Kalundborg)
    (825, 813, "færge"),  # Læsø - Frederikshavn
    (492, 479, "færge"),  # Ærø - Svendborg (Ærøskøbing-Svendborg)
    (492, 430, "færge"),  # Ærø - Faaborg-Midtfyn (Søby-Faaborg)
    (563, 561, "færge"),  # Fanø - Esbjerg
    (482, 479, "bro"),  # Langeland - Svendborg (Langelandsbroen to Tåsinge)
    (773, 787, "bro"),  # Morsø - Thisted (Vilsundbroen)
    (773, 779, "bro"),  # Morsø - Skive (Sallingsundbroen)
    (376, 390, "bro"),  # Guldborgsund - Vordingborg (Storstrømsbroen, Farøbroerne)
]
ISLANDS_ALONE = {400}  # Bornholm


def vertices(geometry: dict) -> set[tuple[float, float]]:
    polygons = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        polygons = [polygons]
    return {(x, y) for polygon in polygons for ring in polygon for x, y in ring}


def main(source: str) -> None:
    features = json.loads(Path(source).read_text(encoding="utf-8"))["features"]
    points: dict[int, set[tuple[float, float]]] = {}
    for feature in features:
        props = feature["properties"]
        if str(props.get("er_kommune")).lower() in {"false", "0"}:
            continue
        points[int(props["kommunenr"])] = vertices(feature["geometry"])
    owners: dict[tuple[float, float], list[int]] = defaultdict(list)
    for code, pts in sorted(points.items()):
        for p in pts:
            owners[p].append(code)
    shared: dict[tuple[int, int], int] = defaultdict(int)
    for codes in owners.values():
        for i, a in enumerate(codes):
            for b in codes[i + 1 :]:
                shared[(min(a, b), max(a, b))] += 1
    links = {pair: "land" for pair, n in shared.items() if n >= 2}
    for a, b, kind in FIXED_LINKS:
        links.setdefault((min(a, b), max(a, b)), kind)
    alone = [c for c in points if not any(c in pair for pair in links)]
    if sorted(alone) != sorted(ISLANDS_ALONE):
        raise SystemExit(f"municipalities without a neighbour: {sorted(alone)}")
    with open(OUT, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["kommunenr_a", "kommunenr_b", "forbindelse"])
        for (a, b), kind in sorted(links.items()):
            writer.writerow([a, b, kind])
    print(f"{len(links)} pairs of neighbours written to {OUT.name}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/dk_kommuner.geojson")
