"""Reading and checking indicator files (`klynge.quality.imports`), without the
database: `read_table` turns bytes into a frame of strings, `check_table` checks it
against fixed lookup tables and a fixed `today`.

What a file may look like, what is refused and with which line and column (the header
is line 1), and the CPR rule of METHODS.md C: a cell that is a CPR-like number with a
real, not-future birth date by the century rule, or a column named like one, refuses
the file, and the number itself never appears in what is reported.
"""

from __future__ import annotations

import datetime as dt
import re

import polars as pl
import pytest
from django.utils import translation
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from klynge.quality import imports, services
from tests.quality.conftest import DA_HEADER, EN_HEADER, csv_bytes, xlsx_bytes

TODAY = dt.date(2025, 6, 1)
CLINICS = {"100001": 1, "034835": 2, "200001": 3}
OPIOIDS, CRP = 11, 12  # ids in the lookup table below
INDICATORS = {"opioids": (OPIOIDS, False), "crp_tests": (CRP, True)}


@pytest.fixture(scope="module")
def messages():
    with translation.override("en"):
        return services.import_messages()


def check(data: bytes, messages, *, filename: str = "", allowed=None) -> imports.CheckedFile:
    frame = imports.read_table(data, filename)
    return imports.check_table(
        frame,
        clinics=CLINICS,
        indicators=INDICATORS,
        allowed_clinic_ids=allowed,
        today=TODAY,
        messages=messages,
    )


def where(result: imports.CheckedFile) -> list[tuple[int, str]]:
    return [(e.line, e.column) for e in result.errors]


# --- Good files ---------------------------------------------------------------------------------

# The same three values, written five ways: a month, a quarter (provider number without
# its leading zero) and a rate whose numerator exceeds its denominator (allowed).
EXPECTED_ROWS = sorted(
    [
        (1, OPIOIDS, "M", dt.date(2024, 3, 1), 12, 40),
        (2, OPIOIDS, "Q", dt.date(2024, 1, 1), 3, 9),
        (1, CRP, "M", dt.date(2024, 3, 1), 50, 40),
    ]
)

GOOD_FILES = {
    "comma-utf8-english": (
        csv_bytes(
            [
                ("100001", "opioids", "2024-03", 12, 40),
                ("34835", "opioids", "2024-Q1", 3, 9),
                ("100001", "crp_tests", "2024-03", 50, 40),
            ]
        ),
        "values.csv",
    ),
    "semicolon-cp1252-danish-decimal-comma": (
        csv_bytes(
            [
                ("100001", "opioids", "2024-03", "12,0", "40,0"),
                ("34835", "opioids", "2024-Q1", "3,00", "9"),
                ("100001", "CRP_TESTS", "2024-3", "50", "40,0"),
            ],
            header=DA_HEADER,
            sep=";",
            encoding="cp1252",
        ),
        "værdier.csv",
    ),
    "utf8-bom-danish": (
        csv_bytes(
            [
                ("100001", "opioids", "2024-03", 12, 40),
                ("034835", "opioids", "2024-q1", 3, 9),
                ("100001", "crp_tests", "2024-03", 50, 40),
            ],
            header=DA_HEADER,
            sep=";",
            bom=True,
        ),
        "bom.csv",
    ),
    "utf8-bom-english": (
        csv_bytes(
            [
                ("100001", "opioids", "2024-03", 12, 40),
                ("34835", "opioids", "2024K1", 3, 9),
                ("100001", "crp_tests", "2024-03", 50, 40),
            ],
            bom=True,
        ),
        "bom-en.csv",
    ),
    "xlsx-date-cell-and-floats": (
        xlsx_bytes(
            [
                (100001, "opioids", dt.date(2024, 3, 1), 12.0, 40.0),
                (34835, "opioids", "2024-Q1", 3.0, 9),
                ("100001", "crp_tests", dt.datetime(2024, 3, 1), 50, 40.0),
            ]
        ),
        "values.xlsx",
    ),
}


@pytest.mark.parametrize("name", GOOD_FILES)
def test_good_files_of_every_kind_give_the_same_rows(name, messages):
    data, filename = GOOD_FILES[name]
    result = check(data, messages, filename=filename)
    assert result.errors == [] and result.ok, result.errors
    assert result.rows == 3
    assert not result.contains_cpr
    assert sorted(result.frame.rows()) == EXPECTED_ROWS


def test_windows_1252_header_and_cells_are_read_as_danish_letters():
    data = csv_bytes([("100001", "opioids", "2024-03", "12,0", "40")], header=DA_HEADER, sep=";")
    cp1252 = data.decode("utf-8").encode("cp1252")
    assert b"t\xe6ller" in cp1252  # really Windows-1252, not UTF-8
    frame = imports.read_table(cp1252, "x.csv")
    assert frame.columns == ["line", *DA_HEADER]
    assert frame.rows() == [(2, "100001", "opioids", "2024-03", "12,0", "40")]


def test_read_table_numbers_lines_as_a_spreadsheet_does():
    data = csv_bytes([("100001", "opioids", f"2024-0{m}", m, 10) for m in range(1, 5)])
    assert imports.read_table(data)["line"].to_list() == [2, 3, 4, 5]


def test_an_xlsx_date_cell_is_read_as_its_month_and_whole_floats_as_integers():
    data = xlsx_bytes([(34835, "opioids", dt.datetime(2024, 11, 1), 7.0, 120.0)])
    frame = imports.read_table(data, "a.xlsx")
    assert frame.rows() == [(2, "34835", "opioids", "2024-11", "7", "120")]


def test_an_xlsx_is_recognised_by_its_bytes_without_a_file_name(messages):
    data = xlsx_bytes([(100001, "opioids", "2024-03", 12, 40)])
    result = check(data, messages, filename="")
    assert result.ok and result.frame.rows() == [(1, OPIOIDS, "M", dt.date(2024, 3, 1), 12, 40)]


# --- Bad files -----------------------------------------------------------------------------------

OK_ROW = ("100001", "opioids", "2024-03", 12, 40)

BAD_ROWS = {
    # name: (row written on line 2, [(line, column)], a fragment of the message)
    "unknown provider": (("999999", "opioids", "2024-03", 12, 40), [(2, "ydernummer")], "999999"),
    "provider with letters": (("10000x", "opioids", "2024-03", 12, 40), [(2, "ydernummer")], ""),
    "provider too long": (("1000011", "opioids", "2024-03", 12, 40), [(2, "ydernummer")], ""),
    "unknown indicator": (("100001", "nope", "2024-03", 12, 40), [(2, "indikator")], "nope"),
    "month 13": (("100001", "opioids", "2024-13", 12, 40), [(2, "periode")], "2024-13"),
    "quarter 5": (("100001", "opioids", "2024-Q5", 12, 40), [(2, "periode")], "2024-Q5"),
    "period as a date": (("100001", "opioids", "2024-03-01", 12, 40), [(2, "periode")], ""),
    "period before 2000": (("100001", "opioids", "1999-12", 12, 40), [(2, "periode")], "1999"),
    "period after next year": (("100001", "opioids", "2027-01", 12, 40), [(2, "periode")], ""),
    "text numerator": (("100001", "opioids", "2024-03", "tolv", 40), [(2, "tæller")], "tolv"),
    "negative numerator": (("100001", "opioids", "2024-03", -3, 40), [(2, "tæller")], "-3"),
    "decimal point numerator": (("100001", "opioids", "2024-03", "12.5", 40), [(2, "tæller")], ""),
    "empty denominator": (("100001", "opioids", "2024-03", 12, ""), [(2, "nævner")], ""),
    "text denominator": (("100001", "opioids", "2024-03", 12, "n/a"), [(2, "nævner")], "n/a"),
    "numerator above denominator": (
        ("100001", "opioids", "2024-03", 41, 40),
        [(2, "tæller")],
        "41",
    ),
}


@pytest.mark.parametrize("name", BAD_ROWS)
def test_a_bad_cell_is_reported_with_its_line_and_column(name, messages):
    row, expected, fragment = BAD_ROWS[name]
    # The bad row is on line 2; a good row follows on line 3 and is not blamed.
    good = ("200001", "opioids", "2024-04", 5, 50)
    result = check(csv_bytes([row, good]), messages)
    assert not result.ok
    assert result.frame is None
    assert where(result) == expected
    assert result.error_count == len(expected)
    assert fragment in result.errors[0].message


def test_decimal_comma_counts_that_are_not_whole_are_refused(messages):
    data = csv_bytes(
        [
            ("100001", "opioids", "2024-03", "12,5", "40"),
            ("100001", "opioids", "2024-04", "12", "40,25"),
        ],
        header=DA_HEADER,
        sep=";",
    )
    result = check(data, messages)
    assert where(result) == [(2, "tæller"), (3, "nævner")]
    assert "12,5" in result.errors[0].message


def test_a_rate_may_have_more_events_than_patients_but_a_share_may_not(messages):
    rate = check(csv_bytes([("100001", "crp_tests", "2024-03", 900, 40)]), messages)
    share = check(csv_bytes([("100001", "opioids", "2024-03", 900, 40)]), messages)
    assert rate.ok
    assert where(share) == [(2, "tæller")]
    assert "larger than the denominator" in share.errors[0].message


def test_duplicates_within_the_file_name_the_first_line(messages):
    data = csv_bytes(
        [
            OK_ROW,  # line 2
            ("100001", "opioids", "2024-04", 12, 40),  # line 3
            ("100001", "opioids", "2024-3", 7, 40),  # line 4: same month as line 2
            ("100001", "opioids", "2024-04", 1, 40),  # line 5: same as line 3
            ("100001", "opioids", "2024-Q1", 1, 40),  # a quarter is another period
        ]
    )
    result = check(data, messages)
    assert where(result) == [(4, "periode"), (5, "periode")]
    assert "line 2" in result.errors[0].message
    assert "line 3" in result.errors[1].message


def test_every_error_of_a_file_is_counted_on_its_own_line(messages):
    data = csv_bytes(
        [
            OK_ROW,  # 2: fine
            ("999999", "opioids", "2024-03", 12, 40),  # 3: provider
            ("100001", "nope", "2024-13", "x", 40),  # 4: indicator, period, numerator
            ("100001", "opioids", "2024-Q5", -1, "y"),  # 5: period, numerator, denominator
            OK_ROW,  # 6: duplicate of line 2
            ("100001", "opioids", "2024-04", 50, 40),  # 7: numerator above denominator
        ]
    )
    result = check(data, messages)
    assert result.error_count == 9
    assert sorted(where(result)) == [
        (3, "ydernummer"),
        (4, "indikator"),
        (4, "periode"),
        (4, "tæller"),
        (5, "nævner"),
        (5, "periode"),
        (5, "tæller"),
        (6, "periode"),
        (7, "tæller"),
    ]
    assert [e.line for e in result.errors] == sorted(e.line for e in result.errors)


def test_only_the_first_thousand_errors_are_kept_but_all_are_counted(messages):
    data = csv_bytes([("999999", "opioids", "2024-03", 1, 2)] * 700 + [OK_ROW] * 700)
    result = check(data, messages)
    assert result.error_count == 700 + 699  # unknown providers, then duplicates of line 702
    assert len(result.errors) == imports.MAX_REPORTED_ERRORS
    assert result.errors[-1].line == 1002  # lines 2-701, then 703-1002
    assert "line 702" in result.errors[-1].message


@pytest.mark.parametrize("missing", range(5))
def test_a_missing_column_is_named_on_the_header_line(missing, messages):
    header = [h for i, h in enumerate(EN_HEADER) if i != missing]
    row = [c for i, c in enumerate(OK_ROW) if i != missing]
    result = check(csv_bytes([row], header=header), messages)
    assert where(result) == [(1, DA_HEADER[missing])]
    assert result.error_count == 1
    assert "missing" in result.errors[0].message


def test_a_file_with_only_a_header_is_refused_on_line_2(messages):
    result = check(csv_bytes([]), messages)
    assert where(result) == [(2, "")]
    assert result.error_count == 1


def test_an_empty_file_cannot_be_read():
    with pytest.raises(imports.FileUnreadable):
        imports.read_table(b"", "empty.csv")


def test_a_line_with_too_many_fields_names_its_line():
    data = csv_bytes([OK_ROW, ("100001", "opioids", "2024-04", 12, 40, "extra"), OK_ROW])
    with (
        translation.override("en"),
        pytest.raises(imports.FileUnreadable, match=r"5 fields.*found 6") as caught,
    ):
        imports.read_table(data, "ragged.csv")
    assert caught.value.line == 3


def test_a_line_with_too_few_fields_is_an_error_in_the_missing_column(messages):
    data = csv_bytes([OK_ROW]) + b"100001,opioids,2024-04,12\n"
    result = check(data, messages)
    assert where(result) == [(3, "nævner")]


# Lone carriage returns in a file that is also ragged (as binary files are).
GARBAGE_WITH_CR = bytes(range(256)) * 3
RAGGED_WITH_CR = b"provider_number,indicator\n100001,opioids\r,x,y\n"


def test_an_empty_row_in_a_workbook_is_skipped(messages):
    data = xlsx_bytes(
        [(100001, "opioids", "2024-03", 1, 2), (None,) * 5, (100001, "opioids", "2024-04", 1, 2)]
    )
    result = check(data, messages, filename="a.xlsx")
    assert result.ok and result.rows == 2


def test_line_numbers_in_a_workbook_with_an_empty_row_are_the_spreadsheets(messages):
    data = xlsx_bytes(
        [(100001, "opioids", "2024-03", 1, 2), (None,) * 5, (100001, "opioids", "2024-13", 1, 2)]
    )
    result = check(data, messages, filename="a.xlsx")
    assert where(result) == [(4, "periode")]  # header 1, data 2, empty 3, the bad row 4


@pytest.mark.parametrize("tail", [b"\n", b";;;;\n", b"\r\n"], ids=["blank", "separators", "crlf"])
def test_blank_lines_at_the_end_of_a_csv_are_ignored(tail, messages):
    data = csv_bytes([("100001", "opioids", "2024-03", 12, 40)], header=DA_HEADER, sep=";")
    result = check(data + tail, messages)
    assert result.ok, result.errors
    assert result.frame.height == 1


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n",
        bytes(range(32, 256)) * 3,
    ],
)
def test_a_binary_file_is_refused(garbage, messages):
    try:
        result = check(garbage, messages, filename="data.csv")
    except imports.FileUnreadable:
        return
    assert not result.ok and result.frame is None
    assert {column for _line, column in where(result)} >= {"ydernummer", "indikator"}


@pytest.mark.parametrize("garbage", [GARBAGE_WITH_CR, RAGGED_WITH_CR], ids=["bytes", "ragged"])
def test_a_binary_file_with_carriage_returns_is_unreadable_not_a_crash(garbage):
    with pytest.raises(imports.FileUnreadable):
        imports.read_table(garbage, "data.csv")


def test_a_broken_workbook_is_unreadable():
    with pytest.raises(imports.FileUnreadable, match="Excel"):
        imports.read_table(b"PK\x03\x04not really a zip file", "data.xlsx")


def test_clinics_outside_the_uploaders_scope_are_refused(messages):
    data = csv_bytes([OK_ROW, ("200001", "opioids", "2024-03", 12, 40)])
    result = check(data, messages, allowed={1})
    assert where(result) == [(3, "ydernummer")]
    assert "200001" in result.errors[0].message
    assert check(data, messages, allowed={1, 3}).ok


# --- CPR numbers ----------------------------------------------------------------------------------

CPRS = ["0101901234", "010190-1234", "010190 1234", "2912004321", "310199-4000"]


def no_digits_of(cpr: str, text: str) -> bool:
    digits = re.sub(r"\D", "", cpr)
    return cpr not in text and digits not in re.sub(r"\D", "", text)


def assert_not_echoed(cpr: str, result: imports.CheckedFile) -> None:
    for error in result.errors:
        assert cpr not in error.message and cpr not in error.column
        assert re.sub(r"\D", "", cpr) not in re.sub(r"\D", "", error.message + error.column)


@pytest.mark.parametrize("cpr", CPRS)
@pytest.mark.parametrize("column", [5, 0, 3, 1])
def test_a_cpr_like_cell_anywhere_refuses_the_file(cpr, column, messages):
    header = [*EN_HEADER, "note"]
    rows = [
        [*OK_ROW, ""],
        ["100001", "opioids", "2024-04", 1, 2, ""],
        [*OK_ROW[:2], "2024-05", 3, 4, ""],
    ]
    rows[1][column] = cpr
    result = check(csv_bytes(rows, header=header), messages)
    assert result.contains_cpr
    assert result.frame is None
    assert where(result) == [(3, header[column])]
    assert result.error_count == 1
    assert "CPR" in result.errors[0].message
    assert_not_echoed(cpr, result)


def test_a_cpr_typed_as_a_number_in_a_workbook_is_found(messages):
    data = xlsx_bytes([(100001, "opioids", "2024-03", 1, 2, 1501901234)], header=[*DA_HEADER, "x"])
    result = check(data, messages, filename="a.xlsx")
    assert result.contains_cpr and where(result) == [(2, "x")]
    assert_not_echoed("1501901234", result)


def test_a_cpr_inside_a_longer_text_is_found(messages):
    header = [*EN_HEADER, "kommentar"]
    result = check(csv_bytes([[*OK_ROW, "pt. 010190-1234 ringede"]], header=header), messages)
    assert result.contains_cpr and where(result) == [(2, "kommentar")]
    assert_not_echoed("010190-1234", result)


def test_every_cpr_cell_is_reported_and_nothing_else_is_checked(messages):
    header = [*EN_HEADER, "note"]
    rows = [
        ["999999", "nope", "2024-13", "x", "y", "0101901234"],  # also every other error
        [*OK_ROW, ""],
        [*OK_ROW[:4], "1502852345", "0101901234"],  # denominator and note
    ]
    result = check(csv_bytes(rows, header=header), messages)
    assert result.contains_cpr
    assert where(result) == [(2, "note"), (4, "denominator"), (4, "note")]
    assert result.error_count == 3


@pytest.mark.parametrize(
    "header", ["cpr", "CPR", "personnummer", "CPR-nr", "cpr_nr", "PNR", "Cpr nr."]
)
def test_a_column_named_like_cpr_refuses_the_file(header, messages):
    result = check(csv_bytes([[*OK_ROW, "x"]], header=[*EN_HEADER, header]), messages)
    assert result.contains_cpr
    assert where(result) == [(1, header)]
    assert "CPR" in result.errors[0].message


@pytest.mark.parametrize(
    "value",
    [
        "3213901234",  # day 32
        "0113901234",  # month 13
        "0001901234",  # day 0
        "3102901234",  # 31 February
        "2902014321",  # 29 February 1901 did not exist (digit 7 is 4, yy 01 → 2001: no leap)
        "0101505000",  # 2050 by the century rule (digit 7 = 5, yy ≤ 57): in the future
        "0101304000",  # 2030 (digit 7 = 4, yy ≤ 36): in the future
        "01019012345",  # eleven digits: part of a longer number
        "10101901234",
        "0101-901234",  # hyphen in the wrong place
        "12345678",
        "010190--1234",
    ],
)
def test_numbers_that_are_not_cpr_numbers_by_the_rule_are_accepted(value, messages):
    result = check(csv_bytes([[*OK_ROW, value]], header=[*EN_HEADER, "note"]), messages)
    assert result.ok, result.errors
    assert not result.contains_cpr


def test_the_century_rule_decides_what_lies_in_the_future():
    assert imports.looks_like_cpr("0101575000", dt.date(2057, 1, 1))  # 2057 exactly today
    assert not imports.looks_like_cpr("0101575000", dt.date(2056, 12, 31))
    assert imports.looks_like_cpr("0101585000", dt.date(2025, 1, 1))  # yy 58, digit 5 → 1858
    assert imports.looks_like_cpr("0101374000", dt.date(2025, 1, 1))  # yy 37, digit 4 → 1937
    assert imports.looks_like_cpr("2902004000", TODAY)  # 29 Feb 2000 existed


def test_a_cpr_number_in_the_header_row_is_not_echoed(messages):
    # A file without a header row whose first line holds a CPR number.
    header = [*EN_HEADER, "0101901234"]
    result = check(csv_bytes([[*OK_ROW, "0202901234"]], header=header), messages)
    assert result.contains_cpr
    assert_not_echoed("0101901234", result)


def test_a_cpr_after_an_invalid_candidate_is_still_found(messages):
    assert imports.looks_like_cpr("3102901234 0101901234", TODAY)
    result = check(
        csv_bytes([[*OK_ROW, "3102901234 0101901234"]], header=[*EN_HEADER, "note"]), messages
    )
    assert result.contains_cpr


# An independent implementation of METHODS.md C, digit by digit (no regular expressions).


def reference_cpr(ten: str, today: dt.date) -> bool:
    day, month, yy, seventh = int(ten[0:2]), int(ten[2:4]), int(ten[4:6]), int(ten[6])
    if seventh in (0, 1, 2, 3):
        year = 1900 + yy
    elif seventh in (4, 9):
        year = 2000 + yy if yy <= 36 else 1900 + yy
    else:
        year = 2000 + yy if yy <= 57 else 1800 + yy
    try:
        born = dt.date(year, month, day)
    except ValueError:
        return False
    return born <= today


@st.composite
def date_shaped(draw) -> str:
    """Ten digits whose first six are often a real day and month (random strings
    rarely are), with every seventh digit and every year."""
    day = draw(st.integers(0, 32))
    month = draw(st.integers(0, 13))
    yy = draw(st.integers(0, 99))
    rest = draw(st.integers(0, 9999))
    return f"{day:02d}{month:02d}{yy:02d}{rest:04d}"


TEN_DIGITS = st.one_of(st.text(alphabet="0123456789", min_size=10, max_size=10), date_shaped())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    ten=TEN_DIGITS,
    separator=st.sampled_from(["", "-", " "]),
    today=st.sampled_from([TODAY, dt.date(2036, 12, 31)]),
)
@example(ten="0101901234", separator="", today=TODAY)
@example(ten="3213901234", separator="", today=TODAY)
@example(ten="0101364000", separator="-", today=TODAY)
@example(ten="0101364000", separator="-", today=dt.date(2036, 12, 31))
@example(ten="2902004000", separator="", today=TODAY)
@example(ten="2902584000", separator="", today=TODAY)  # 1958 was no leap year
def test_cpr_detection_matches_an_independent_implementation(ten, separator, today):
    text = ten[:6] + separator + ten[6:]
    expected = reference_cpr(ten, today)
    assert imports.looks_like_cpr(text, today) is expected
    assert imports.looks_like_cpr(f"tekst {text}.", today) is expected
    assert imports.looks_like_cpr(f"9{text}", today) is False  # part of a longer number
    # The polars pre-filter plus the check, as the upload runs them.
    frame = pl.DataFrame({"line": [2], "note": [text]})
    assert bool(imports.find_cpr(frame, today)) is expected
