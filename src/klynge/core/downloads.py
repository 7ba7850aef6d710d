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
