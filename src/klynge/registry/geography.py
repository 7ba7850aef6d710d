"""Loads the shipped Danish geography (regions, the 98 municipalities, postal areas
with label points) from `registry/data/`. Source and attribution: `data/SOURCES.md`.
Idempotent: used by a data migration and safe to run again."""

from __future__ import annotations

import csv
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
