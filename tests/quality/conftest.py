"""Shared fixtures and file builders for the quality tests.

Files are built here byte by byte (CSV in a chosen encoding and separator, XLSX with
openpyxl), so each test states exactly what the uploader sent.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

import pytest

from tests.world import PASSWORD, World, build_world

EN_HEADER = ("provider_number", "indicator", "period", "numerator", "denominator")
DA_HEADER = ("ydernummer", "indikator", "periode", "tæller", "nævner")


def csv_bytes(
    rows: Iterable[Sequence[object]],
    *,
    header: Sequence[str] | None = EN_HEADER,
    sep: str = ",",
    encoding: str = "utf-8",
    bom: bool = False,
) -> bytes:
    lines = [] if header is None else [sep.join(header)]
    lines += [sep.join(str(cell) for cell in row) for row in rows]
    data = ("\n".join(lines) + "\n").encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: Iterable[Sequence[object]], *, header: Sequence[str] = DA_HEADER) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def stored_values() -> list[tuple]:
    """Every stored value as a sortable tuple: the whole table, to compare before/after."""
    from klynge.quality.models import IndicatorValue

    return sorted(
        IndicatorValue.objects.values_list(
            "clinic_id", "indicator_id", "period_kind", "period", "numerator", "denominator"
        )
    )


def login(client, user) -> None:
    assert client.login(email=user.email, password=PASSWORD)


@pytest.fixture
def world(db) -> World:
    return build_world()
