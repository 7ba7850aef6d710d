"""The management commands: `import_indicators` (exit status, line-numbered errors on
stderr, nothing written on error, no CPR number echoed anywhere), `export_indicators`
(a file that imports back unchanged) and `sync_indicators`."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from klynge.core.models import AuditEntry
from klynge.quality.models import ImportRun, ImportStatus, Indicator, IndicatorValue
from tests.factories import ClinicFactory
from tests.quality.conftest import DA_HEADER, EN_HEADER, csv_bytes, stored_values, xlsx_bytes

pytestmark = pytest.mark.django_db


def import_file(tmp_path, data: bytes, name: str = "values.csv"):
    """Run the command; return (stdout, stderr, CommandError or None)."""
    path = tmp_path / name
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    try:
        with translation.override("en"):
            call_command("import_indicators", str(path), stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def test_a_good_file_is_imported_and_reported(world, tmp_path):
    ClinicFactory(provider_number="034835")
    data = csv_bytes(
        [
            ("100001", "nsaid_elderly", "2024-03", "12,0", "40"),
            ("34835", "nsaid_elderly", "2024-Q1", "3", "9,0"),
            ("100001", "crp_tests", "2024-03", "90", "40"),  # a rate: above the denominator
        ],
        header=DA_HEADER,
        sep=";",
        encoding="cp1252",
    )
    out, err, error = import_file(tmp_path, data)
    assert error is None, err
    run = ImportRun.objects.get(source="cli")
    assert out.strip() == (
        f"Imported 3 rows from values.csv (0 replaced earlier values); import #{run.pk}."
    )
    assert run.status == ImportStatus.SUCCEEDED and run.actor is None and run.scope == ""
    assert IndicatorValue.objects.filter(import_run_id=run.pk).count() == 3
    assert (
        IndicatorValue.objects.get(
            clinic__provider_number="034835", period_kind="Q", period=dt.date(2024, 1, 1)
        ).numerator
        == 3
    )


def test_an_xlsx_file_is_imported(world, tmp_path):
    data = xlsx_bytes([(100002, "nsaid_elderly", dt.date(2024, 5, 1), 7.0, 30.0)])
    _out, _err, error = import_file(tmp_path, data, "values.xlsx")
    assert error is None
    assert IndicatorValue.objects.get(
        clinic__provider_number="100002", indicator__code="nsaid_elderly"
    ).period == dt.date(2024, 5, 1)


BAD = {
    # name: (bytes, [(line, column)] printed on stderr)
    "unknown provider": (
        csv_bytes([("999999", "opioids", "2024-03", 12, 40)]),
        [(2, "ydernummer")],
    ),
    "unknown indicator": (csv_bytes([("100001", "nope", "2024-03", 12, 40)]), [(2, "indikator")]),
    "month 13": (csv_bytes([("100001", "opioids", "2024-13", 12, 40)]), [(2, "periode")]),
    "quarter 5": (csv_bytes([("100001", "opioids", "2024-Q5", 12, 40)]), [(2, "periode")]),
    "text count": (csv_bytes([("100001", "opioids", "2024-03", "mange", 40)]), [(2, "tæller")]),
    "negative count": (csv_bytes([("100001", "opioids", "2024-03", 12, -40)]), [(2, "nævner")]),
    "decimal comma count": (
        csv_bytes([("100001", "opioids", "2024-03", "12,5", 40)], header=DA_HEADER, sep=";"),
        [(2, "tæller")],
    ),
    "numerator above denominator": (
        csv_bytes([("100001", "opioids", "2024-03", 41, 40)]),
        [(2, "tæller")],
    ),
    "duplicate": (
        csv_bytes(
            [
                ("100001", "opioids", "2024-03", 1, 40),
                ("100002", "opioids", "2024-03", 1, 40),
                ("100001", "opioids", "2024-03", 2, 40),
            ]
        ),
        [(4, "periode")],
    ),
    "missing column": (
        csv_bytes([("100001", "opioids", "2024-03", 12)], header=EN_HEADER[:4]),
        [(1, "nævner")],
    ),
    "several": (
        csv_bytes(
            [
                ("100001", "opioids", "2024-03", 12, 40),
                ("100001", "opioids", "2024-13", "x", 40),
                ("999999", "opioids", "2024-Q5", 12, 40),
            ]
        ),
        [(3, "periode"), (3, "tæller"), (4, "periode"), (4, "ydernummer")],
    ),
}


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_file_fails_the_command_with_every_error_and_writes_nothing(world, tmp_path, name):
    data, expected = BAD[name]
    before = stored_values()
    out, err, error = import_file(tmp_path, data)
    assert error is not None and error.returncode == 1
    noun = "error" if len(expected) == 1 else "errors"
    assert f"values.csv: {len(expected)} {noun}; nothing was imported" in str(error)
    printed = [
        (int(m[1]), m[2]) for m in re.finditer(r"^line (\d+), column ([^:]+): .+$", err, re.M)
    ]
    assert sorted(printed) == sorted(expected)
    assert len(err.strip().splitlines()) == len(expected)
    assert out == ""
    assert stored_values() == before
    run = ImportRun.objects.get(source="cli")
    assert run.status == ImportStatus.FAILED and run.error_count == len(expected)


def test_the_duplicate_error_names_the_first_line(world, tmp_path):
    _out, err, _error = import_file(tmp_path, BAD["duplicate"][0])
    assert (
        "line 4, column periode: The same clinic, indicator and period is already on line 2." in err
    )


def test_an_unreadable_file_fails_the_command(world, tmp_path):
    for data in (b"", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", b"PK\x03\x04rubbish"):
        before = stored_values()
        _out, err, error = import_file(
            tmp_path, data, "x.xlsx" if data.startswith(b"PK") else "x.csv"
        )
        assert error is not None and error.returncode == 1
        assert err.strip()
        assert stored_values() == before


def test_a_ragged_line_fails_the_command_naming_the_line(world, tmp_path):
    data = (
        csv_bytes([("100001", "opioids", "2024-03", 12, 40)]) + b"100001,opioids,2024-04,12,40,9\n"
    )
    _out, err, error = import_file(tmp_path, data)
    assert error is not None and "1 error;" in str(error)
    assert "line 3" in err


def test_more_than_a_thousand_errors_are_summarised(world, tmp_path):
    data = csv_bytes([("999999", "opioids", f"2024-{m % 12 + 1:02d}", 1, 2) for m in range(1100)])
    _out, err, error = import_file(tmp_path, data)
    assert "1100 errors" in str(error)
    assert err.strip().splitlines()[-1] == "… and 100 more."
    assert len(err.strip().splitlines()) == 1001


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_indicators", str(tmp_path / "nowhere.csv"))


@pytest.mark.parametrize(
    ("cell", "column"),
    [("0101901234", "note"), ("010190-1234", "note"), ("010190-1234", "numerator")],
)
def test_a_cpr_number_fails_the_command_and_is_echoed_nowhere(
    world, tmp_path, caplog, cell, column
):
    caplog.set_level(logging.DEBUG)
    header = (*EN_HEADER, "note")
    rows = [
        ["100001", "opioids", "2024-03", 12, 40, ""],
        ["100002", "opioids", "2024-03", 12, 40, ""],
    ]
    rows[1][header.index(column)] = cell
    before = stored_values()
    audit_before = set(AuditEntry.objects.values_list("pk", flat=True))
    out, err, error = import_file(tmp_path, csv_bytes(rows, header=header))
    assert error is not None and error.returncode == 1
    assert f"line 3, column {column}: " in err
    assert "CPR" in err
    assert stored_values() == before
    run = ImportRun.objects.get(source="cli")
    audit = AuditEntry.objects.exclude(pk__in=audit_before)
    assert [a.action for a in audit] == ["quality.import.rejected"]
    everything = "\n".join(
        [
            out,
            err,
            str(error),
            caplog.text,
            json.dumps(run.errors, ensure_ascii=False),
            run.phase,
            str(run),
            json.dumps([(a.data, a.object_repr, a.scope) for a in audit], ensure_ascii=False),
        ]
    )
    digits = re.sub(r"\D", "", cell)
    assert cell not in everything
    assert digits not in re.sub(r"\D", "", everything)


def test_a_cpr_number_in_a_headerless_file_is_echoed_nowhere(world, tmp_path):
    data = csv_bytes(
        [("100001", "opioids", "2024-03", 12, 40, "0101901234")],
        header=("100002", "opioids", "2024-04", "12", "40", "0202901234"),
    )
    _out, err, error = import_file(tmp_path, data)
    assert error is not None
    run = ImportRun.objects.get(source="cli")
    everything = err + str(error) + json.dumps(run.errors)
    assert "0202901234" not in everything


def test_numbers_that_are_not_cpr_numbers_do_not_fail_the_command(world, tmp_path):
    header = (*EN_HEADER, "note")
    rows = [
        ("100001", "nsaid_elderly", "2024-03", 12, 40, "3213901234"),  # day 32
        ("100002", "nsaid_elderly", "2024-03", 12, 40, "0101505000"),  # born 2050: future
    ]
    _out, err, error = import_file(tmp_path, csv_bytes(rows, header=header))
    assert error is None, err
    assert IndicatorValue.objects.filter(indicator__code="nsaid_elderly").count() == 2


# --- Export and round trip ------------------------------------------------------------------------


def test_an_export_imports_back_with_every_value_unchanged(world, tmp_path):
    ClinicFactory(provider_number="034835")
    extra = csv_bytes(
        [
            ("34835", "nsaid_elderly", "2024-Q1", 3, 9),
            ("034835", "nsaid_elderly", "2024-Q2", 0, 0),
            ("100001", "crp_tests", "2023-12", 900, 400),
            ("200002", "nsaid_elderly", "2024-03", 12, 40),
        ]
    )
    _out, err, error = import_file(tmp_path, extra, "extra.csv")
    assert error is None, err
    before = stored_values()
    rows = len(before)
    assert rows == 5 * 12 + 4  # the world's twelve months for five clinics, plus these

    path = tmp_path / "export.csv"
    err = io.StringIO()
    call_command("export_indicators", "--output", str(path), stderr=err)
    assert f"Wrote {rows} rows" in err.getvalue()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(EN_HEADER)
    assert len(lines) == rows + 1
    assert "034835,nsaid_elderly,2024-Q1,3,9" in lines
    assert "100001,crp_tests,2023-12,900,400" in lines
    parsed = list(csv.reader(lines[1:]))
    assert parsed == sorted(parsed, key=lambda r: (r[0], r[1], "Q" in r[2], r[2]))

    _out, err, error = import_file(tmp_path, path.read_bytes(), "export.csv")
    assert error is None, err
    run = ImportRun.objects.filter(source="cli").latest("pk")
    assert run.filename == "export.csv"
    assert (run.error_count, run.rows_written, run.rows_replaced) == (0, rows, rows)
    assert stored_values() == before


def test_an_export_of_one_indicator(world, tmp_path):
    path = tmp_path / "opioids.csv"
    call_command(
        "export_indicators", "--output", str(path), "--indicator", "opioids", stderr=io.StringIO()
    )
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 5 * 12
    assert {line.split(",")[1] for line in lines[1:]} == {"opioids"}
    assert lines[1] == "100001,opioids,2024-01,11,200"  # 10 + 0 + 1 / 200 + 10·0


# --- The library ----------------------------------------------------------------------------------


def test_sync_indicators_updates_the_library_and_retires_unknown_codes(db):
    Indicator.objects.filter(code="opioids").update(title_da="forkert", active=False)
    retired = Indicator.objects.create(
        code="gammel",
        title_da="Gammel",
        title_en="Old",
        numerator_da="t",
        numerator_en="n",
        denominator_da="n",
        denominator_en="d",
        unit="proportion",
        direction="lower",
    )
    out = io.StringIO()
    call_command("sync_indicators", stdout=out)
    count = Indicator.objects.filter(active=True).count()
    assert out.getvalue().strip() == f"Indicator library: 0 created, {count} updated."
    opioids = Indicator.objects.get(code="opioids")
    assert opioids.active and opioids.title_da != "forkert"
    retired.refresh_from_db()
    assert not retired.active
