"""The fast paths of the import (issue 16.7) give what the plain ones gave: the check
parses each distinct cell once and returns the rows in the value table's key order, and
PostgreSQL receives them as a binary `COPY` (other databases as before). A row that the
binary layout cannot carry goes the CSV way, where the database refuses it as before."""

from __future__ import annotations

import datetime as dt
import random

import polars as pl
import pytest
from django.db import connection
from django.utils import translation

from klynge.quality import imports, services
from klynge.quality.models import ImportStatus, Indicator, IndicatorValue
from klynge.registry.models import Clinic
from tests.quality.conftest import csv_bytes, stored_values

TODAY = dt.date(2025, 6, 1)
# Ids deliberately not in the order of their keys' text, so sorting by text would differ.
CLINICS = {"100001": 30, "034835": 2, "200001": 17}
INDICATORS = {"opioids": (9, False), "crp_tests": (4, True)}


@pytest.fixture(scope="module")
def messages():
    with translation.override("en"):
        return services.import_messages()


def check(data: bytes, messages) -> imports.CheckedFile:
    return imports.check_table(
        imports.read_table(data),
        clinics=CLINICS,
        indicators=INDICATORS,
        today=TODAY,
        messages=messages,
    )


def test_the_checked_rows_come_in_the_value_tables_key_order(messages):
    rows = [
        (provider, code, period, 5, 10)
        for provider in CLINICS
        for code in INDICATORS
        for period in ("2024-03", "2024-01", "2023-Q4", "2024-Q1", "2023-12")
    ]
    random.Random(16).shuffle(rows)
    result = check(csv_bytes(rows), messages)
    assert result.ok
    got = result.frame.select(services.KEY).rows()
    assert got == sorted(got)  # indicator id, clinic id, kind, period
    assert len(got) == len(rows)
    assert result.frame.sort(services.KEY).equals(result.frame)
    assert services._in_key_order(result.frame)
    assert not services._in_key_order(result.frame.reverse())
    swapped = result.frame.with_columns(period_kind=pl.col("period_kind").reverse())
    assert services._in_key_order(swapped) == swapped.sort(services.KEY).equals(swapped)


def test_a_value_three_times_names_the_first_line_twice_wherever_it_stands(messages):
    rows = [
        ("100001", "opioids", "2024-03", 1, 10),  # line 2
        ("200001", "opioids", "2024-03", 1, 10),  # line 3
        ("100001", "OPIOIDS", " 2024-03 ", 2, 10),  # line 4: the same key, written otherwise
        ("034835", "opioids", "2024-03", 1, 10),  # line 5
        ("100001", "opioids", "2024-3", 3, 10),  # line 6: the same month again
    ]
    result = check(csv_bytes(rows), messages)
    assert [(e.line, e.column) for e in result.errors] == [(4, "periode"), (6, "periode")]
    assert all("line 2" in e.message for e in result.errors)


def test_a_file_whose_headers_are_the_parsed_names_is_read_by_its_cells(messages):
    header = ("provider_number", "indicator", "period", "numerator", "denominator")
    result = check(csv_bytes([("100001", "opioids", "2024-03", 12, 40)], header=header), messages)
    assert result.ok
    assert result.frame.rows() == [(30, 9, "M", dt.date(2024, 3, 1), 12, 40)]


def frame(**overrides) -> pl.DataFrame:
    columns = {
        "clinic_id": [1, 2],
        "indicator_id": [3, 3],
        "period_kind": ["M", "Q"],
        "period": [dt.date(2024, 3, 1), dt.date(1999, 10, 1)],
        "numerator": [0, 2**31 - 1],
        "denominator": [5, 2**31 - 1],
    }
    columns.update(overrides)
    return pl.DataFrame(columns)


def test_the_binary_copy_has_fixed_width_rows_and_refuses_what_does_not_fit():
    parts = services._binary_copy(frame(), 7)
    assert parts is not None
    data = b"".join(bytes(part) for part in parts)
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00") and data.endswith(b"\xff\xff")
    row = 2 + (4 + 8) * 2 + (4 + 1) + (4 + 4) * 3 + (4 + 8)
    assert len(data) == 19 + 2 * row + 2
    assert services._binary_copy(frame(numerator=[0, 2**31]), 7) is None
    assert services._binary_copy(frame(numerator=[0, None]), 7) is None
    assert services._binary_copy(frame(period_kind=["M", "QQ"]), 7) is None


def import_file(data: bytes):
    run = services.import_run_create(actor=None, data=data, filename="v.csv", source="cli")
    return services.import_run_execute(run=run, data=data)


def test_months_and_quarters_are_stored_exactly_on_every_database(world):
    clinics = list(Clinic.objects.order_by("pk")[:3])
    codes = list(
        Indicator.objects.filter(active=True).order_by("-pk").values_list("code", flat=True)[:2]
    )
    rows = [
        (c.provider_number, code, period, 3 + i, 50 + i)
        for i, (c, code, period) in enumerate(
            (c, code, period)
            for c in clinics
            for code in codes
            for period in ("2019-12", "2020-Q1", "2020-02", "2000-01")
        )
    ]
    IndicatorValue.objects.filter(clinic__in=clinics).delete()
    before = stored_values()
    run = import_file(csv_bytes(list(reversed(rows))))
    assert run.status == ImportStatus.SUCCEEDED, run.errors
    ids = {c.provider_number: c.pk for c in clinics}
    indicator_ids = dict(Indicator.objects.values_list("code", "pk"))
    expected = [
        (
            ids[p],
            indicator_ids[code],
            "Q" if "Q" in period else "M",
            dt.date(int(period[:4]), 1 if "Q" in period else int(period[5:]), 1),
            n,
            d,
        )
        for p, code, period, n, d in rows
    ]
    assert stored_values() == sorted(before + expected)
    assert set(
        IndicatorValue.objects.filter(clinic__in=clinics).values_list("import_run", flat=True)
    ) == {run.pk}


def test_a_count_too_large_for_the_table_writes_nothing_as_before(world):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite stores an integer of any size")
    clinic = Clinic.objects.order_by("pk").first()
    before = stored_values()
    data = csv_bytes([(clinic.provider_number, "opioids", "2024-03", 2**31, 2**31)])
    with pytest.raises(Exception, match="out of range"):  # the database's own refusal
        import_file(data)
    assert stored_values() == before
