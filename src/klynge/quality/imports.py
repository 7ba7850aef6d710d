"""Reading and checking an indicator file (DATA-2), independent of the web, the API
and the command line that all call it.

A file has a header row and one row per clinic, indicator and period:
`ydernummer;indikator;periode;tæller;nævner` (Danish) or
`provider_number,indicator,period,numerator,denominator` (English), as CSV (comma or
semicolon, UTF-8 or Windows-1252, decimal comma or point) or XLSX.

The whole file is checked before anything is written. Every problem is reported with
its line (the header is line 1, as in a spreadsheet) and column. A cell that looks like
a CPR number (a valid date by the CPR century rule), or a column named like one, makes
the file refused; the number is never echoed back or logged: only where it is.

Checks are vectorised with polars, and each distinct cell text is parsed once, so
1.4 million rows take about a second.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field

import polars as pl
from django.utils.translation import gettext as _

MAX_REPORTED_ERRORS = 1000

# Canonical column → accepted header spellings (normalised: lower case, ASCII, no spaces).
COLUMNS = {
    "provider_number": {"ydernummer", "ydernr", "providernumber", "provider", "ydernumre"},
    "indicator": {
        "indikator",
        "indikatorkode",
        "indicator",
        "indicatorcode",
        "kode",
        "code",
        "malepunkt",
        "maalepunkt",
    },
    "period": {"periode", "period", "maned", "maaned", "month", "kvartal", "quarter"},
    "numerator": {"taeller", "tller", "numerator", "taller"},
    "denominator": {"naevner", "nvner", "denominator", "navner"},
}
DANISH_NAMES = {
    "provider_number": "ydernummer",
    "indicator": "indikator",
    "period": "periode",
    "numerator": "tæller",
    "denominator": "nævner",
}
CPR_HEADERS = {"cpr", "cprnr", "cprnummer", "personnummer", "pnr", "cprno", "personalnumber"}

# METHODS.md C: DDMMYY, an optional separator, SSSS; not part of a longer number. Written
# by people, the separator is a hyphen (also the typographic ones), a slash, a dot or a
# space; written by Excel, a number loses its leading zero (`101901234` for 0101901234).
CPR_SEPARATORS = "-\u2010\u2011\u2012\u2013\u2014\u2212/.\\s"
# polars' regex has no look-behind, so its pre-filter matches the boundaries explicitly
# and is looser than the rule (any 5-6 digits, a separator, 4 digits); Python decides.
CPR_PATTERN = rf"(?:^|[^0-9])[0-9]{{5,6}}[{CPR_SEPARATORS}]?[0-9]{{4}}(?:[^0-9]|$)"
# In Python the boundaries are look-arounds, so one rejected candidate cannot hide the
# number right after it.
_CPR_RE = re.compile(
    rf"(?<![0-9])(0[1-9]|[12][0-9]|3[01])(0[1-9]|1[0-2])([0-9]{{2}})[{CPR_SEPARATORS}]?([0-9])[0-9]{{3}}(?![0-9])"
)
_CPR_STRIPPED_RE = re.compile(r"(?<![0-9])([1-9])(0[1-9]|1[0-2])([0-9]{2})([0-9])[0-9]{3}(?![0-9])")

# Bounds checked before a file is parsed, so no file can hold a worker for long.
MAX_COLUMNS = 100
MAX_CELL_CHARS = 1000
MAX_XLSX_ROWS = 1_048_576  # Excel's own limit
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_RATIO = 200  # a worksheet's XML compresses about 10-30 times


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return {"line": self.line, "column": self.column, "message": self.message}


@dataclass
class CheckedFile:
    """The outcome of reading and checking a file. `frame` holds the rows to write
    (clinic_id, indicator_id, period_kind, period, numerator, denominator) when there
    are no errors."""

    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    contains_cpr: bool = False
    frame: pl.DataFrame | None = None  # in the value table's key order

    @property
    def ok(self) -> bool:
        return self.error_count == 0


class FileUnreadable(ValueError):
    """The file is not a table we can read; the message is safe to show, `line` says
    where (0 when the file as a whole is the problem)."""

    def __init__(self, message: str, line: int = 0) -> None:
        super().__init__(message)
        self.line = line


def _normalise_header(name: str) -> str:
    ascii_name = name.lower().replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    ascii_name = unicodedata.normalize("NFKD", ascii_name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", ascii_name)


# --- Reading --------------------------------------------------------------------------------


def _utf8(data: bytes) -> bytes:
    """The file as UTF-8 bytes: UTF-8 as it is (without a BOM), else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        data.decode("utf-8")  # validation only; polars reads the bytes themselves
        return data
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace").encode("utf-8")


def _refuse_nul(data: bytes) -> None:
    """A NUL byte is never part of a text file (and no database column can hold it)."""
    at = data.find(b"\x00")
    if at >= 0:
        raise FileUnreadable(
            _("the line holds a NUL byte; it is not a text file"),
            line=data.count(b"\n", 0, at) + 1,
        )


def _read_csv(data: bytes) -> pl.DataFrame:
    _refuse_nul(data)
    data = _utf8(data)
    first = data.split(b"\n", 1)[0]
    separator = ";" if first.count(b";") > first.count(b",") else ","
    if first.count(b"\t") > max(first.count(b";"), first.count(b",")):
        separator = "\t"
    columns = first.count(separator.encode()) + 1
    if columns > MAX_COLUMNS:
        raise FileUnreadable(
            _("the header row has %(columns)s columns; an indicator file has 5 (at most %(max)s)")
            % {"columns": columns, "max": MAX_COLUMNS},
            line=1,
        )
    try:
        return pl.read_csv(
            data, separator=separator, infer_schema=False, has_header=True, quote_char='"'
        )
    except pl.exceptions.PolarsError:
        # Find the first malformed line ourselves: polars' message may quote the line.
        expected = None
        text = io.StringIO(data.decode("utf-8", errors="replace"), newline="")
        try:
            for number, row in enumerate(csv.reader(text, delimiter=separator), start=1):
                if expected is None:
                    expected = len(row)
                elif row and len(row) != expected:
                    raise FileUnreadable(
                        _(
                            "expected %(expected)s fields separated by '%(separator)s', found %(found)s"
                        )
                        % {"expected": expected, "separator": separator, "found": len(row)},
                        line=number,
                    ) from None
        except csv.Error:
            pass
        raise FileUnreadable(_("the file could not be read as CSV")) from None


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return f"{value.year}-{value.month:02d}"  # a period typed as a date in Excel
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def unpacked_size(data: bytes) -> int:
    """What a workbook (a ZIP archive) unpacks to, checked against the bounds before
    anything reads it: a small file that unpacks to gigabytes (a ZIP bomb) is refused.
    Members are read through `zipfile`, which stops at the declared size."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileUnreadable(_("the file is not a readable Excel workbook (.xlsx)")) from exc
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if total > MAX_UNPACKED_BYTES or total / packed > MAX_ZIP_RATIO:
        raise FileUnreadable(
            _(
                "the workbook unpacks to %(unpacked)s MB from %(packed)s MB; that is not an indicator file"
            )
            % {"unpacked": total // 1_000_000, "packed": len(data) // 1_000_000}
        )
    return total


def _read_xlsx(data: bytes) -> pl.DataFrame:
    from openpyxl import load_workbook

    unpacked_size(data)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:
        raise FileUnreadable(_("the file is not a readable Excel workbook (.xlsx)")) from exc
    sheet = workbook.worksheets[0]
    rows = sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS + 1)
    header = next(rows, None)
    if header is None:
        raise FileUnreadable(_("the workbook's first sheet is empty"))
    while header and header[-1] is None:  # trailing empty cells of a formatted row
        header = header[:-1]
    if len(header) > MAX_COLUMNS:
        raise FileUnreadable(
            _("the header row has more than %(max)s columns; an indicator file has 5")
            % {"max": MAX_COLUMNS},
            line=1,
        )
    names = [_cell_text(h) or f"column_{i + 1}" for i, h in enumerate(header)]
    columns: list[list[str]] = [[] for _ in names]
    lines: list[int] = []
    for number, row in enumerate(rows, start=2):  # keep the sheet's own row numbers
        if number > MAX_XLSX_ROWS:
            raise FileUnreadable(
                _("the sheet has more than %(max)s rows") % {"max": MAX_XLSX_ROWS}, line=number
            )
        if row is None or all(v is None for v in row):
            continue
        lines.append(number)
        for i in range(len(names)):
            columns[i].append(_cell_text(row[i] if i < len(row) else None))
    workbook.close()
    frame = pl.DataFrame(
        {name: col for name, col in zip(names, columns, strict=True)},
        schema={n: pl.String for n in names},
    )
    return frame.with_columns(pl.Series("line", lines, dtype=pl.UInt32)).select("line", *names)


def read_table(data: bytes, filename: str = "") -> pl.DataFrame:
    """All cells as strings, with `line` = the row's line in the file (header = 1).
    Blank rows (also `;;;;`) are dropped after numbering, so lines stay true."""
    workbook = data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx")
    # A CSV's bytes were refused for a NUL already (`_refuse_nul`); a workbook's cells
    # are checked below.
    frame = _read_xlsx(data) if workbook else _read_csv(data).with_row_index("line", offset=2)
    cells = [c for c in frame.columns if c != "line"]
    if not cells:
        return frame
    for c in cells:
        if workbook:
            _refuse_first(
                frame, pl.col(c).str.contains("\x00", literal=True), _("the cell holds a NUL byte")
            )
        # A character takes at least a byte: only a column with a long cell in bytes
        # (a constant-time length) is counted in characters.
        longest = frame.select(pl.col(c).str.len_bytes().max()).item()
        if (longest or 0) > MAX_CELL_CHARS:
            _refuse_first(
                frame,
                pl.col(c).str.len_chars() > MAX_CELL_CHARS,
                _("a cell is longer than %(max)s characters") % {"max": MAX_CELL_CHARS},
            )
    blank = pl.all_horizontal([pl.col(c).fill_null("").str.strip_chars() == "" for c in cells])
    # A blank row is blank in its first cell: the other cells are looked at only there.
    maybe = frame.filter(pl.col(cells[0]).fill_null("").str.strip_chars() == "")
    if not maybe.height:
        return frame
    blank_lines = maybe.filter(blank)["line"]
    return frame.filter(pl.col("line").is_in(blank_lines.implode()).not_())


def _refuse_first(frame: pl.DataFrame, condition: pl.Expr, reason: str) -> None:
    hit = frame.filter(condition.fill_null(False)).select("line").head(1)
    if hit.height:
        raise FileUnreadable(reason, line=int(hit.item()))


# --- CPR numbers ---------------------------------------------------------------------------------


def _cpr_birth_date(day: int, month: int, yy: int, seventh: int) -> dt.date | None:
    """The birth date by the CPR century rule, or None when the date does not exist."""
    if seventh <= 3:
        century = 1900
    elif seventh in (4, 9):
        century = 2000 if yy <= 36 else 1900
    else:  # 5-8
        century = 2000 if yy <= 57 else 1800
    try:
        return dt.date(century + yy, month, day)
    except ValueError:
        return None


def looks_like_cpr(text: str, today: dt.date | None = None) -> bool:
    today = today or dt.date.today()
    for pattern in (_CPR_RE, _CPR_STRIPPED_RE):
        for match in pattern.finditer(text):
            day, month, yy, seventh = (int(g) for g in match.groups())
            born = _cpr_birth_date(day, month, yy, seventh)
            if born is not None and born <= today:
                return True
    return False


def find_cpr(frame: pl.DataFrame, today: dt.date | None = None) -> list[RowError]:
    """Where CPR-like values are: column headers and cells. Values are never kept."""
    found: list[RowError] = []
    for position, name in enumerate(c for c in frame.columns if c != "line"):
        # A header that itself looks like a CPR number is named by its position only.
        shown = f"#{position + 1}" if looks_like_cpr(name, today) else name
        if _normalise_header(name) in CPR_HEADERS or shown != name:
            found.append(RowError(1, shown, "cpr-column"))
        candidates = frame.filter(pl.col(name).str.contains(CPR_PATTERN)).select("line", name)
        for line, value in candidates.iter_rows():
            if looks_like_cpr(value, today):
                found.append(RowError(int(line), shown, "cpr-cell"))
    return sorted(found, key=lambda e: (e.line, e.column))


# Parts of a workbook where a person's text lives: a shared string (rich text comes in
# runs), an inline string, a comment. Their whole text is checked; any other element
# (a cell's value or formula, a sheet's or document's property) on its own.
_TEXT_CONTAINERS = {"si", "is", "comment", "threadedComment"}
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def find_cpr_in_workbook(data: bytes, today: dt.date | None = None) -> list[RowError]:
    """CPR-like text anywhere in a workbook, not just the first sheet's cached values:
    every sheet, formulas (uncached ones too), comments, shared strings, names and
    properties. A cell is reported as `sheet number:column letter` on its row; anything
    else on line 0 (or the row a comment belongs to). Values are never kept."""
    unpacked_size(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    parts = [m for m in archive.namelist() if m.endswith((".xml", ".rels", ".vml"))]
    sheet_number = {
        part: int(match.group(1))
        for part in parts
        if (match := re.fullmatch(r"xl/worksheets/sheet(\d+)\.xml", part))
    }
    strings = "xl/sharedStrings.xml"
    flagged: set[str] = set()  # indices (as written in a cell) of CPR-like shared strings
    if strings in parts:
        items = (e for e in _elements(archive, strings) if _local(e.tag) == "si")
        for index, item in enumerate(items):
            if looks_like_cpr("".join(item.itertext()), today):
                flagged.add(str(index))
    found: set[RowError] = set()
    for part in parts:
        if part == strings:
            continue
        for element in _elements(archive, part):
            name = _local(element.tag)
            if part in sheet_number:
                if name != "c":
                    continue
                if _cell_has_cpr(element, flagged, today):
                    column, row = _cell_ref(element.get("r", ""))
                    found.add(RowError(row, f"{sheet_number[part]}:{column}", "cpr-cell"))
                element.clear()
                continue
            text = "".join(element.itertext()) if name in _TEXT_CONTAINERS else element.text
            if looks_like_cpr(text or "", today) or looks_like_cpr(
                " ".join(element.attrib.values()), today
            ):
                _column, row = _cell_ref(element.get("ref", ""))
                found.add(RowError(row, "comment" if name in _TEXT_CONTAINERS else "", "cpr-cell"))
    return sorted(found, key=lambda e: (e.line, e.column))


def _elements(archive: zipfile.ZipFile, part: str):
    from xml.etree.ElementTree import ParseError, iterparse

    try:
        with archive.open(part) as fh:
            for _event, element in iterparse(fh, events=("end",)):
                yield element
    except ParseError as exc:
        raise FileUnreadable(_("the workbook's XML cannot be read")) from exc


def _cell_has_cpr(cell, flagged_strings: set[str], today: dt.date | None) -> bool:
    """A cell's value, formula or inline string; a shared string by its index."""
    for child in cell:
        name = _local(child.tag)
        if name == "v" and cell.get("t") == "s":
            if (child.text or "").strip() in flagged_strings:
                return True
            continue
        text = "".join(child.itertext()) if name == "is" else child.text or ""
        if looks_like_cpr(text, today):
            return True
    return False


def _cell_ref(ref: str) -> tuple[str, int]:
    match = _CELL_REF.fullmatch(ref)
    return (match.group(1), int(match.group(2))) if match else ("", 0)


def safe_filename(filename: str, today: dt.date | None = None) -> tuple[str, bool]:
    """The name to store and show for an uploaded file, and whether the given name looks
    like it holds a CPR number: then only a neutral name with the file's suffix is kept
    (the file's hash identifies it). Control characters never survive."""
    name = "".join(ch for ch in filename.replace("\\", "/").rsplit("/", 1)[-1] if ch.isprintable())
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if looks_like_cpr(name, today):
        return "fil." + suffix if suffix in {"csv", "xlsx", "txt"} else "fil", True
    return name[:255], False


# --- Checking ------------------------------------------------------------------------------------

_COUNT = r"^\s*([0-9]+(?:[ .][0-9]{3})*|[0-9]+)(?:[.,]0+)?\s*$"


def check_table(
    frame: pl.DataFrame,
    *,
    clinics: dict[str, int],
    indicators: dict[str, tuple[int, bool]],
    allowed_clinic_ids: set[int] | None = None,
    today: dt.date | None = None,
    messages: dict[str, str],
) -> CheckedFile:
    """Check every row; return the rows to write, or every error with its line.

    `clinics` maps provider number → clinic id; `indicators` maps code → (id, is_rate);
    `allowed_clinic_ids` (None = all) is what the uploader may import for; `messages`
    holds the (translated) texts keyed by error code.
    """
    today = today or dt.date.today()
    result = CheckedFile(rows=frame.height)

    cpr = find_cpr(frame, today)
    if cpr:
        result.contains_cpr = True
        result.errors = [
            RowError(e.line, e.column, messages[e.message]) for e in cpr[:MAX_REPORTED_ERRORS]
        ]
        result.error_count = len(cpr)
        return result

    mapping: dict[str, str] = {}
    for name in frame.columns:
        key = _normalise_header(name)
        for canonical, spellings in COLUMNS.items():
            if key in spellings and canonical not in mapping:
                mapping[canonical] = name
    missing = [c for c in COLUMNS if c not in mapping]
    if missing:
        result.errors = [RowError(1, DANISH_NAMES[c], messages["missing-column"]) for c in missing]
        result.error_count = len(missing)
        return result
    if frame.height == 0:
        result.errors = [RowError(2, "", messages["empty"])]
        result.error_count = 1
        return result

    year_max = today.year + 1
    # Every distinct raw value is parsed once and gathered back to its rows: a national
    # file repeats a few thousand provider numbers, 13 codes and 60 periods a million
    # times, so regular expressions over every cell were most of the check's time. The
    # lookup tables are ordered by id, so their row numbers order the rows as the
    # table's key does (`index_*`).
    clinic_frame = pl.DataFrame(
        {"provider_key": list(clinics.keys()), "clinic_id": list(clinics.values())},
        schema={"provider_key": pl.String, "clinic_id": pl.Int64},
    )
    clinic_frame = clinic_frame.sort("clinic_id").with_row_index("index_clinic")
    indicator_frame = pl.DataFrame(
        {
            "indicator_key": list(indicators.keys()),
            "indicator_id": [v[0] for v in indicators.values()],
            "is_rate": [v[1] for v in indicators.values()],
        },
        schema={"indicator_key": pl.String, "indicator_id": pl.Int64, "is_rate": pl.Boolean},
    )
    indicator_frame = indicator_frame.sort("indicator_id").with_row_index("index_indicator")
    raw_names = {c: f"raw_{c}" for c in COLUMNS}
    # `col`: a cell's text as checked (no surrounding blanks), read from the raw column
    # under a name of its own, so no header ("period", "numerator") meets a parsed one.
    col = {c: pl.col(raw_names[c]).str.strip_chars() for c in COLUMNS}
    month = col["period"].str.extract_groups(r"^(\d{4})-(\d{1,2})$")
    quarter = col["period"].str.extract_groups(r"^(\d{4})\s*-?\s*[QqKk]\s*([1-4])$")
    m_year = month.struct.field("1").cast(pl.Int32, strict=False)
    m_month = month.struct.field("2").cast(pl.Int32, strict=False)
    q_year = quarter.struct.field("1").cast(pl.Int32, strict=False)
    q_number = quarter.struct.field("2").cast(pl.Int32, strict=False)
    kind = (
        pl.when(m_month.is_between(1, 12))
        .then(pl.lit("M"))
        .when(q_number.is_not_null())
        .then(pl.lit("Q"))
        .otherwise(None)
    )
    parsers: dict[str, list[pl.Expr]] = {
        "provider_number": [
            pl.when(col["provider_number"].str.contains(r"^[0-9]{1,6}$"))
            .then(col["provider_number"].str.zfill(6))
            .otherwise(None)
            .alias("provider_key")
        ],
        "indicator": [col["indicator"].str.to_lowercase().alias("indicator_key")],
        "period": [
            kind.alias("period_kind"),
            pl.when(kind == "M")
            .then(pl.date(m_year, m_month, 1))
            .when(kind == "Q")
            .then(pl.date(q_year, (q_number - 1) * 3 + 1, 1))
            .otherwise(None)
            .alias("period"),
        ],
        "numerator": [
            col["numerator"]
            .str.extract(_COUNT, 1)
            .str.replace_all(r"[ .]", "")
            .cast(pl.Int64, strict=False)
            .alias("numerator")
        ],
        "denominator": [
            col["denominator"]
            .str.extract(_COUNT, 1)
            .str.replace_all(r"[ .]", "")
            .cast(pl.Int64, strict=False)
            .alias("denominator")
        ],
    }
    # The raw cells (nulls as ""); each column's distinct texts parsed once, looked up
    # in the register, and gathered back to the rows by their position in the distinct
    # list (an Enum's physical code).
    columns: dict[str, pl.Series] = {"line": frame["line"]}
    for c, exprs in parsers.items():
        cells = frame[mapping[c]].fill_null("").alias(raw_names[c])
        distinct = cells.unique(maintain_order=True)
        table = distinct.to_frame().with_columns(exprs)
        if c == "provider_number":
            table = table.join(clinic_frame, on="provider_key", how="left", maintain_order="left")
        elif c == "indicator":
            table = table.join(
                indicator_frame, on="indicator_key", how="left", maintain_order="left"
            )
        codes = cells.cast(pl.Enum(distinct)).to_physical()
        columns[raw_names[c]] = cells
        for name in table.columns:
            if name != raw_names[c]:
                columns[name] = table[name].gather(codes)
    # One integer per value key, in the table's key order (indicator, clinic, kind,
    # period): duplicates are neighbours once sorted, and the sorted rows are written
    # in index order.
    periods = 10_000 * 12  # year * 12 + month - 1 for four-digit years
    if max(len(indicators), 1) * max(len(clinics), 1) * 2 * periods >= 2**63:
        raise FileUnreadable(_("the register is too large to check a file against"))
    sort_key = (
        (
            (
                pl.col("index_indicator").cast(pl.Int64) * len(clinics)
                + pl.col("index_clinic").cast(pl.Int64)
            )
            * 2
            + (pl.col("period_kind") == "Q").cast(pl.Int64)
        )
        * periods
        + pl.col("period").dt.year().cast(pl.Int64) * 12
        + pl.col("period").dt.month().cast(pl.Int64)
        - 1
    )
    typed = pl.DataFrame(columns).with_columns(sort_key.alias("key"))
    # Only the key and the row order are sorted (a stable sort keeps the file's order
    # among equal keys, so the first of a run is its first line); the wide frame is
    # gathered once, in that order, only when it is written.
    order = typed.select(pl.arg_sort_by("key", nulls_last=True, maintain_order=True))
    order_series = order.to_series()
    sorted_key = typed["key"].gather(order_series)
    repeated = (sorted_key.is_not_null() & (sorted_key == sorted_key.shift(1))).fill_null(False)
    # Back in the file's order: the inverse permutation of `order`.
    parsed = typed.with_columns(duplicate=repeated.gather(order_series.arg_sort())).lazy()
    year = pl.col("period").dt.year()
    shown = col  # a format error shows the cell as it was checked
    checks: list[tuple[pl.Expr, str, str, pl.Expr]] = [
        # (condition for an error, column, message code, value shown in the message)
        (
            pl.col("provider_key").is_null(),
            "provider_number",
            "provider-format",
            shown["provider_number"],
        ),
        (
            pl.col("provider_key").is_not_null() & pl.col("clinic_id").is_null(),
            "provider_number",
            "provider-unknown",
            pl.col("provider_key"),
        ),
        (
            pl.col("indicator_id").is_null(),
            "indicator",
            "indicator-unknown",
            pl.col("indicator_key"),
        ),
        (pl.col("period").is_null(), "period", "period-format", shown["period"]),
        (
            pl.col("period").is_not_null() & ((year < 2000) | (year > year_max)),
            "period",
            "period-range",
            shown["period"],
        ),
        (pl.col("numerator").is_null(), "numerator", "count-format", shown["numerator"]),
        (pl.col("denominator").is_null(), "denominator", "count-format", shown["denominator"]),
        (
            pl.col("is_rate").not_() & (pl.col("numerator") > pl.col("denominator")),
            "numerator",
            "numerator-above-denominator",
            shown["numerator"],
        ),
        (
            pl.col("duplicate"),
            "period",
            "duplicate",
            pl.col("first_line").cast(pl.String),
        ),
    ]
    if allowed_clinic_ids is not None:
        allowed = pl.Series(sorted(allowed_clinic_ids), dtype=pl.Int64)
        checks.append(
            (
                pl.col("clinic_id").is_not_null()
                & pl.col("clinic_id").is_in(allowed.implode()).not_(),
                "provider_number",
                "provider-out-of-scope",
                pl.col("provider_key"),
            )
        )
    any_error = pl.any_horizontal([condition.fill_null(False) for condition, *_ in checks])
    # Pass 1: count the rows with errors and, if there are none, keep the typed rows
    # (in the table's key order).
    bad = int(parsed.select(any_error.sum()).collect().item())
    if not bad:
        written = ["clinic_id", "indicator_id", "period_kind", "period", "numerator", "denominator"]
        result.frame = parsed.select(pl.col(c).gather(order_series) for c in written).collect()
        return result
    checked = parsed.with_columns(any_error.alias("has_error")).collect()
    # Pass 2 (only for a rejected file): every error, with the raw cell in the message.
    detail = (
        checked.lazy()
        .with_columns(pl.col("line").min().over("key").alias("first_line"))
        .filter(pl.col("has_error"))
    )
    error_frames = [
        detail.filter(condition.fill_null(False)).select(
            pl.col("line"),
            pl.lit(DANISH_NAMES[column]).alias("column"),
            pl.lit(code).alias("code"),
            value.cast(pl.String).fill_null("").alias("value"),
        )
        for condition, column, code, value in checks
    ]
    errors = pl.concat(error_frames).sort(["line", "column"], maintain_order=True).collect()
    result.error_count = errors.height
    result.errors = [
        RowError(int(line), column, messages[code] % {"value": value[:40]})
        for line, column, code, value in errors.head(MAX_REPORTED_ERRORS).iter_rows()
    ]
    return result
