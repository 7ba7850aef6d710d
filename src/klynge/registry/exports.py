"""The register export (REG-8): one row per cluster with region, size and founding
date — the file researchers ask the national secretariat for. Shared by the page
download and `manage.py export_register`."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Font

from klynge.core.errors import DomainError
from klynge.registry.selectors import cluster_overview, filter_problem

COLUMNS = [
    "cluster",
    "region",
    "municipality",
    "provider_numbers",
    "doctors",
    "capacities",
    "listed_patients",
    "founded",
    "registered",
    "cvr",
]


def register_rows(
    *, on: dt.date, region: int | None = None, municipality: int | None = None
) -> list[dict]:
    """Plain rows (ISO dates, integers) in a stable order: by cluster name. The region
    is the one in force on `on`. A region and municipality that contradict each other
    on `on` raise `DomainError`: an impossible filter exports nothing, never everything."""
    problem = filter_problem(on=on, region=region, municipality=municipality)
    if problem:
        raise DomainError(problem)
    return [
        {
            "cluster": row.cluster.name,
            "region": row.region.name,
            "municipality": row.municipality.name,
            "provider_numbers": row.clinics,
            "doctors": row.doctors,
            "capacities": row.capacities,
            "listed_patients": row.listed_patients,
            "founded": row.cluster.founded.isoformat(),
            "registered": row.cluster.registered.isoformat(),
            "cvr": row.cluster.cvr,
        }
        for row in cluster_overview(on=on, region=region, municipality=municipality)
    ]


def write_csv(rows: list[dict], out: IO[str]) -> None:
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)


def write_xlsx(rows: list[dict], out: IO[bytes]) -> None:
    wb = Workbook()
    ws = wb.active
    ws.title = "klynger"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([row[c] for c in COLUMNS])
    ws.freeze_panes = "A2"
    for letter, width in zip("ABCDEFGHIJ", [34, 20, 18, 10, 9, 10, 14, 12, 12, 10], strict=True):
        ws.column_dimensions[letter].width = width
    wb.save(out)


def csv_bytes(rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    write_csv(rows, buffer)
    return buffer.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[dict]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(rows, buffer)
    return buffer.getvalue()
