"""Geography data packs for the synthetic dataset: the areas a jurisdiction's register
lies in (`klynge.core.jurisdiction` describes the jurisdiction; this installs its data).

Denmark's pack is the shipped Danish geography (`registry.geography.load_geography`:
five regions and Region Østdanmark from 2027, the 98 municipalities, postal areas).
England's is NHS England's 7 regions in the region layer and the 42 integrated care
boards where Denmark has municipalities, each board in its region (CSV files in
`demo/data/england/`, sources in `registry/data/SOURCES.md`); no postal areas and no
map. The areas keep the integer primary keys of the register: an ONS code such as
`E54000008` is stored as `54000008` (`ons_number`) and shown again with `ons_code`.

A database holds one pack at a time: installing one removes the other's areas, which
only works once nothing refers to them any more (`generate_dataset --replace` clears
the register first). A real deployment loads its pack once; switching is for the demo
and the benchmarks, which build Denmark and England in the same database.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import ProtectedError

from klynge.registry.geography import load_geography
from klynge.registry.models import AreaLayer, AreaMember, Municipality, PostalCode, Region

ENGLAND_DATA = Path(__file__).resolve().parent / "data" / "england"
# The demo treats today's boards and regions as in force since the register begins:
# their history (sustainability and transformation partnerships before July 2022, the
# Surrey/Sussex boundary change of April 2023, later mergers) is not modelled.
ENGLAND_FROM = dt.date(2017, 1, 1)


@dataclass(frozen=True)
class EnglandArea:
    ons_code: str
    name: str
    parent: str = ""  # the NHS region of a board


def ons_number(code: str) -> int:
    """`E54000008` → `54000008`: the register's integer key for an ONS code."""
    if not (code[:1] == "E" and code[1:].isdigit() and len(code) == 9):
        raise ValueError(f"not an English ONS code: {code!r}")
    return int(code[1:])


def ons_code(number: int) -> str:
    """`54000008` → `E54000008`."""
    return f"E{number:08d}"


def _rows(name: str) -> list[dict[str, str]]:
    with open(ENGLAND_DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def england_regions() -> list[EnglandArea]:
    return [EnglandArea(r["ons_code"], r["name"]) for r in _rows("nhs_regions.csv")]


def england_boards() -> list[EnglandArea]:
    return [
        EnglandArea(r["ons_code"], r["name"], r["nhs_region_ons_code"])
        for r in _rows("integrated_care_boards.csv")
    ]


@transaction.atomic
def install(code: str) -> None:
    """Make the database hold jurisdiction `code`'s areas and only them. Raises
    RuntimeError when another pack's areas are still referred to (a register, staff
    posts, payouts)."""
    try:
        if code == "england":
            _remove(
                regions=Region.objects.exclude(pk__in=_england_region_keys()),
                municipalities=Municipality.objects.exclude(pk__in=_england_board_keys()),
            )
            _install_england()
        elif code == "dk":
            _remove(
                regions=Region.objects.filter(pk__in=_england_region_keys()),
                municipalities=Municipality.objects.filter(pk__in=_england_board_keys()),
            )
            load_geography(Region, Municipality, PostalCode)
        else:
            raise ValueError(f"no data pack for jurisdiction {code!r}")
    except ProtectedError as exc:
        raise RuntimeError(
            "The database still refers to the areas of another jurisdiction "
            f"({len(exc.protected_objects)} rows, e.g. {next(iter(exc.protected_objects))!r}); "
            "clear the register first (--replace) or use an empty database."
        ) from exc


def _england_region_keys() -> list[int]:
    return [ons_number(a.ons_code) for a in england_regions()]


def _england_board_keys() -> list[int]:
    return [ons_number(a.ons_code) for a in england_boards()]


def _remove(*, regions, municipalities) -> None:
    """Delete the given areas with what hangs on them (postal areas, memberships of
    areas, successors), children first."""
    PostalCode.objects.filter(municipality__in=municipalities).delete()
    AreaMember.objects.filter(municipality__in=municipalities).delete()
    AreaMember.objects.filter(area__in=regions).delete()
    municipalities.delete()
    regions.update(successor=None)
    regions.delete()


def _install_england() -> None:
    for area in england_regions():
        Region.objects.update_or_create(
            code=ons_number(area.ons_code),
            defaults={
                "name": area.name,
                "layer": AreaLayer.REGION,
                "iso_code": area.ons_code,
                "nuts2": "",
                "start": ENGLAND_FROM,
                "end": None,
                "successor": None,
                "seat": "",
            },
        )
    boards = england_boards()
    for board in boards:
        Municipality.objects.update_or_create(
            code=ons_number(board.ons_code),
            defaults={"name": board.name, "region_id": ons_number(board.parent)},
        )
    if not AreaMember.objects.exists():
        AreaMember.objects.bulk_create(
            AreaMember(
                area_id=ons_number(board.parent),
                municipality_id=ons_number(board.ons_code),
                start=ENGLAND_FROM,
                end=None,
            )
            for board in boards
        )
