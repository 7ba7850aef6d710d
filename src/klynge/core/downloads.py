"""File downloads shared by every domain.

Spreadsheets for people follow one convention, the one Danish Excel reads without an
import dialog: UTF-8 with a byte-order mark, semicolons, a decimal comma, ISO dates and
headers in the interface's language, capitalised (`table_response`). The same rows can be an XLSX
workbook with typed cells: numbers are numbers, dates are dates. Text that a spreadsheet
would evaluate (`=HYPERLINK(...)`, `+1`, `@SUM`) is neutralised in both.

Files for machines (the command line, the API) stay RFC 4180 — comma, decimal point, no
byte-order mark, English keys — and say so where they are offered.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.http import Http404, HttpResponse
from django.utils.text import capfirst

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The first characters that make Excel, LibreOffice or Google Sheets read a cell as a
# formula (OWASP "CSV injection"), including the tab and carriage return that some of
# them skip before looking.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text a spreadsheet shows as written: a leading apostrophe stops evaluation."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value: Any) -> str:
    """One cell as Danish Excel reads it: numbers with a decimal comma and no thousands
    separator, dates as ISO 8601, nothing for None, and text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", ",")
    if isinstance(value, float):
        return f"{value:.10f}".rstrip("0").rstrip(".").replace(".", ",")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def table_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> bytes:
    """A table for people (see the module's docstring) as CSV bytes."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([neutralise(capfirst(str(h))) for h in header])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def table_xlsx(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], *, sheet: str = "data", keys: bool = False
) -> bytes:
    """The same table as an XLSX workbook with typed cells: ints, decimals and floats as
    numbers, dates as dates (shown as yyyy-mm-dd), text always as text — never a formula.
    `keys`: the header is a program's keys, written as they are (not capitalised)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    bold = Font(bold=True)
    widths = [len(str(h)) for h in header]

    def cell(value: Any, *, font: Font | None = None) -> WriteOnlyCell:
        if isinstance(value, dt.datetime):
            value = value.replace(tzinfo=None)
        c = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            c.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
        elif isinstance(value, dt.datetime):
            c.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, dt.date):
            c.number_format = "yyyy-mm-dd"
        elif isinstance(value, Decimal) and value.as_tuple().exponent == -2:
            c.number_format = "#,##0.00"
        if font:
            c.font = font
        return c

    body = []
    for row in rows:
        values = [str(v) if v is not None and not _typed(v) else v for v in row]
        for i, v in enumerate(values[: len(widths)]):
            widths[i] = max(widths[i], len(str(v)) if v is not None else 0)
        body.append(values)
    for i, width in enumerate(widths):
        ws.column_dimensions[_letter(i)].width = min(max(width + 2, 8), 60)
    ws.freeze_panes = "A2"
    ws.append([cell(str(h) if keys else capfirst(str(h)), font=bold) for h in header])
    for values in body:
        ws.append([cell(v) for v in values])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def table_response(
    header: Sequence[Any],
    rows: Iterable[Sequence[Any]],
    filename: str,
    *,
    fmt: str = "csv",
    sheet: str = "data",
) -> HttpResponse:
    """A table download for people, as `fmt` ("csv" or "xlsx"); `filename` has no suffix
    or the suffix of `fmt`. Header cells may be lazy translations: they are rendered in
    the active language, so an English interface gets English headers."""
    stem = filename.removesuffix(".csv").removesuffix(".xlsx")
    if fmt == "csv":
        content, content_type = table_csv(header, rows), "text/csv; charset=utf-8"
    elif fmt == "xlsx":
        content, content_type = table_xlsx(header, rows, sheet=sheet), XLSX_TYPE
    else:
        raise Http404
    return file_response(content, f"{stem}.{fmt}", content_type)


def csv_response(
    header: Sequence[Any], rows: Iterable[Sequence[Any]], filename: str
) -> HttpResponse:
    """A CSV download for people (see `table_response`)."""
    return table_response(header, rows, filename, fmt="csv")


def machine_csv(
    header: Sequence[str], rows: Iterable[Sequence[Any]], out: io.TextIOBase | Any
) -> None:
    """RFC 4180 for programs: comma, decimal point, ISO dates, no byte-order mark."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(
            ["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in row]
        )


def file_response(
    content: bytes,
    filename: str,
    content_type: str = "application/pdf",
    *,
    inline: bool = False,
) -> HttpResponse:
    """A generated file (PDF, Word) as a download, or shown in the browser (`inline`)."""
    response = HttpResponse(content, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


def _typed(value: Any) -> bool:
    return isinstance(value, int | float | Decimal | dt.date)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)
