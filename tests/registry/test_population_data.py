"""The shipped population figures (`registry/data/dk_folketal.csv`, Danmarks Statistik):
one row per municipality of the register, for one date, read by the demo generator."""

from __future__ import annotations

import csv
import datetime as dt

from klynge.demo import dataset

REGION_TABLE = dataset.REGISTRY_DATA / "dk_kommune_region.csv"


def _rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_one_row_per_municipality_with_its_code_and_name():
    municipalities = {
        int(r["kommunekode"]): r["navn"] for r in _rows(REGION_TABLE) if r["er_kommune"] == "1"
    }
    rows = _rows(dataset.POPULATION)
    assert len(municipalities) == 98
    assert [int(r["kommunekode"]) for r in rows] == sorted(municipalities)
    assert {int(r["kommunekode"]): r["navn"] for r in rows} == municipalities


def test_figures_are_for_one_date_and_add_up_to_denmark():
    rows = _rows(dataset.POPULATION)
    assert len({r["dato"] for r in rows}) == 1
    assert dt.date.fromisoformat(rows[0]["dato"]).strftime("%m-%d") == "01-01"
    population = dataset.load_population()
    assert 5_800_000 < sum(population.values()) < 6_100_000
    # the largest and the smallest municipality, as Danmarks Statistik counts them
    assert max(population, key=population.__getitem__) == 101  # København
    assert min(population, key=population.__getitem__) == 825  # Læsø
