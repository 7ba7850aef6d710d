"""Hostile and careless files (issue 16): bounds checked before parsing, NUL bytes,
CPR numbers outside the table's cells (a workbook's other sheets, comments, uncached
formulas, the file's name, Excel's stripped leading zero, other separators). Every
one is refused with where and why, nothing is written and no number is echoed."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import time
import zipfile

import pytest
from django.utils import translation

from klynge.core.models import AuditEntry
from klynge.quality import imports, services
from klynge.quality.models import ImportRun, ImportStatus
from tests.quality.conftest import DA_HEADER, EN_HEADER, csv_bytes, stored_values, xlsx_bytes

TODAY = dt.date(2026, 12, 1)
OK_ROW = ("100001", "nsaid_elderly", "2024-03", 12, 40)


@pytest.fixture(autouse=True)
def english():
    """The reasons are asserted in English; they are translated like any message, and a
    test before may have left Danish active."""
    with translation.override("en"):
        yield


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def leaks(cpr: str, text: str) -> bool:
    return cpr in text or digits(cpr) in digits(text)


def workbook(build) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(list(DA_HEADER))
    sheet.append(list(OK_ROW))
    build(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# --- Bounds before parsing --------------------------------------------------------------------


def test_a_nul_byte_in_a_csv_names_its_line():
    data = csv_bytes([OK_ROW, ("100001", "nsaid\x00_elderly", "2024-04", 1, 2)])
    with pytest.raises(imports.FileUnreadable) as caught:
        imports.read_table(data)
    assert caught.value.line == 3 and "NUL" in str(caught.value)


def test_ten_thousand_columns_are_refused_on_the_header_line_at_once():
    header = [f"c{i}" for i in range(10_000)]
    data = csv_bytes([["1"] * 10_000 for _ in range(50)], header=header)
    started = time.perf_counter()
    with pytest.raises(imports.FileUnreadable) as caught:
        imports.read_table(data)
    assert caught.value.line == 1 and "10000 columns" in str(caught.value)
    assert time.perf_counter() - started < 5  # refused before parsing, not after minutes


def test_a_workbook_with_too_many_columns_is_refused():
    data = xlsx_bytes([list(range(150))], header=[f"c{i}" for i in range(150)])
    with pytest.raises(imports.FileUnreadable) as caught:
        imports.read_table(data, "wide.xlsx")
    assert caught.value.line == 1


def test_an_overlong_cell_names_its_line():
    data = csv_bytes([OK_ROW, (*OK_ROW[:2], "2024-04", 1, "9" * 5000)])
    with pytest.raises(imports.FileUnreadable) as caught:
        imports.read_table(data)
    assert caught.value.line == 3


def test_a_zip_bomb_is_refused_before_it_is_unpacked():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with zipfile.ZipFile(io.BytesIO(xlsx_bytes([OK_ROW]))) as real:
            for name in real.namelist():
                archive.writestr(name, real.read(name))
        archive.writestr("xl/media/padding.bin", b"\0" * 60_000_000)
    data = out.getvalue()
    assert len(data) < 200_000
    with pytest.raises(imports.FileUnreadable, match="unpacks to"):
        imports.read_table(data, "bomb.xlsx")


def test_a_small_workbook_that_unpacks_large_goes_to_the_worker(settings):
    settings.KLYNGE_IMPORT_INLINE_MAX_BYTES = 2 * 1024 * 1024
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>1</v></c></row>' for n in range(1, 200_001))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{rows}</sheetData></worksheet>"
        )
    data = out.getvalue()
    assert len(data) < settings.KLYNGE_IMPORT_INLINE_MAX_BYTES
    assert services.import_should_run_in_background(len(data), data)
    assert not services.import_should_run_in_background(len(data))  # judged by bytes alone


# --- CPR numbers in every form and place ------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "101901234",  # 0101901234 after Excel stripped the leading zero
        "010190\u20131234",  # en dash
        "010190/1234",
        "010190.1234",
        "010190\u22121234",  # minus sign
        "010190\u00a01234",  # no-break space
    ],
)
def test_every_way_of_writing_a_cpr_number_is_found(written):
    assert imports.looks_like_cpr(written, TODAY)
    assert imports.looks_like_cpr(f"pt. {written} ringede", TODAY)


@pytest.mark.parametrize("value", ["1013901234", "323901234", "10190123", "12345678", "2024-03"])
def test_nine_digits_that_are_no_stripped_cpr_number_pass(value):
    assert not imports.looks_like_cpr(value, TODAY)


def test_an_en_dash_cpr_in_the_provider_column_is_refused_not_echoed():
    cpr = "010190\u20131234"
    frame = imports.read_table(csv_bytes([OK_ROW, (cpr, *OK_ROW[1:])]))
    found = imports.find_cpr(frame, TODAY)
    assert [(e.line, e.column) for e in found] == [(3, "provider_number")]


@pytest.mark.parametrize(
    "place",
    [
        "second sheet",
        "comment",
        "uncached formula",
        "shared string on the first sheet",
        "sheet name",
    ],
)
def test_a_cpr_anywhere_in_a_workbook_is_found(place):
    from openpyxl.comments import Comment

    cpr = "0101901234"

    def build(book):
        first = book.active
        if place == "second sheet":
            book.create_sheet("Noter").append(["note", f"pt {cpr}"])
        elif place == "comment":
            first["B2"].comment = Comment(f"ring til {cpr}", "x")
        elif place == "uncached formula":
            first["F2"] = f'="{cpr[:6]}-{cpr[6:]}"'
        elif place == "shared string on the first sheet":
            first["F2"] = f"{cpr[:6]}-{cpr[6:]}"
        else:
            book.create_sheet(f"pt {cpr}")

    data = workbook(build)
    found = imports.find_cpr_in_workbook(data, TODAY)
    assert found, place
    assert all(not leaks(cpr, f"{e.line}{e.column}{e.message}") for e in found)


def test_an_ordinary_workbook_has_no_cpr_anywhere():
    data = workbook(lambda book: book.create_sheet("Noter").append(["telefon", "86 12 34 56"]))
    assert imports.find_cpr_in_workbook(data, TODAY) == []


def test_the_second_sheet_is_named_by_number_row_and_column():
    def build(book):
        sheet = book.create_sheet("Noter")
        sheet["C4"] = "0101901234"

    found = imports.find_cpr_in_workbook(workbook(build), TODAY)
    assert [(e.line, e.column) for e in found] == [(4, "2:C")]


@pytest.mark.parametrize(
    "name, shown, cpr",
    [
        ("udtræk 010190-1234.csv", "fil.csv", True),
        ("101901234.xlsx", "fil.xlsx", True),
        ("værdier\x00.csv", "værdier.csv", False),
        ("C:\\Users\\x\\værdier.csv", "værdier.csv", False),
    ],
)
def test_a_file_name_is_stored_neutral_or_clean(name, shown, cpr):
    assert imports.safe_filename(name, TODAY) == (shown, cpr)


# --- Through the service: refused, nothing written, nothing echoed ---------------------------


def run_file(world, data: bytes, name: str) -> ImportRun:
    secretariat = world.users["secretariat"]
    return services.import_start(actor=secretariat, data=data, filename=name, source="web")


def assert_kept_nowhere(cpr: str, run: ImportRun) -> None:
    run.refresh_from_db()
    stored = json.dumps(run.errors, ensure_ascii=False) + run.phase + run.filename + str(run)
    entries = AuditEntry.objects.filter(object_id=str(run.pk), object_type="quality.importrun")
    audit = json.dumps([(e.data, e.object_repr) for e in entries], ensure_ascii=False)
    assert not leaks(cpr, stored) and not leaks(cpr, audit)
    assert entries.get().data["cpr"] is True


def test_a_cpr_in_the_file_name_refuses_the_file_and_keeps_a_neutral_name(world):
    before = stored_values()
    run = run_file(world, csv_bytes([OK_ROW], header=DA_HEADER), "udtræk 010190-1234.csv")
    assert run.status == ImportStatus.FAILED and "CPR" in run.phase
    assert run.filename == "fil.csv" and not run.upload
    assert stored_values() == before
    assert_kept_nowhere("010190-1234", run)


def test_a_cpr_in_a_workbook_comment_refuses_the_import(world):
    from openpyxl.comments import Comment

    def build(book):
        book.active["A2"].comment = Comment("pt 0101901234", "x")

    before = stored_values()
    run = run_file(world, workbook(build), "v.xlsx")
    assert run.status == ImportStatus.FAILED and run.error_count >= 1  # comment and its drawing
    assert stored_values() == before
    assert_kept_nowhere("0101901234", run)


def test_a_nul_byte_is_a_line_numbered_refusal_not_a_server_error(world):
    data = csv_bytes([OK_ROW, ("100001", "x\x00y", "2024-04", 1, 2)], header=EN_HEADER)
    run = run_file(world, data, "nul\x00.csv")
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    assert [e["line"] for e in run.errors] == [3]
    assert "\x00" not in run.filename + json.dumps(run.errors)
