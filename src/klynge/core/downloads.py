"""File downloads shared by every domain."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from django.http import HttpResponse


def csv_response(
    header: Sequence[str], rows: Iterable[Sequence], filename: str, *, delimiter: str = ";"
) -> HttpResponse:
    """A CSV download that opens correctly in Danish Excel: semicolons and a UTF-8 BOM."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(
        out.getvalue().encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


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
