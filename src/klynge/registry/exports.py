"""The register export (REG-8): one row per cluster with region, size and founding
date — the file researchers ask the national secretariat for. The page's download is a
spreadsheet for people (`core.downloads`: Danish headers, semicolons, typed XLSX cells);
`manage.py export_register` writes the machine form: RFC 4180 CSV with English keys."""

from __future__ import annotations

import datetime as dt
from typing import IO

from django.utils.translation import gettext_lazy as _

from klynge.core.downloads import machine_csv, table_xlsx
from klynge.core.errors import DomainError
from klynge.registry.selectors import cluster_overview, filter_problem

# Machine keys (command line, API) and the headers people read, in the same order.
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
HEADERS = [
    _("Cluster"),
    _("Region"),
    _("Municipality"),
    _("Provider numbers"),
    _("Doctors"),
    _("Capacities"),
    _("Listed patients"),
    _("Founded"),
    _("Registered"),
    _("CVR number"),
]


def register_rows(
    *, on: dt.date, region: int | None = None, municipality: int | None = None
) -> list[dict]:
    """Typed rows (dates, integers) in a stable order: by cluster name. The region
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
            "founded": row.cluster.founded,
            "registered": row.cluster.registered,
            "cvr": row.cluster.cvr,
        }
        for row in cluster_overview(on=on, region=region, municipality=municipality)
    ]


def table(rows: list[dict]) -> list[list]:
    return [[row[c] for c in COLUMNS] for row in rows]


def write_csv(rows: list[dict], out: IO[str]) -> None:
    """RFC 4180 for programs: comma, English keys, ISO dates."""
    machine_csv(COLUMNS, table(rows), out)


def write_xlsx(rows: list[dict], out: IO[bytes]) -> None:
    out.write(table_xlsx(COLUMNS, table(rows), sheet="klynger", keys=True))
