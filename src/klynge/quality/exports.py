"""Exports of stored indicator values in the import format (round trip)."""

from __future__ import annotations

from typing import IO

from django.db import connection

from klynge.quality.periods import format_period

HEADER = "provider_number,indicator,period,numerator,denominator\n"


def write_values_csv(out: IO[str], *, indicator: str | None = None, chunk: int = 20_000) -> int:
    """Stream every stored value, ordered by provider number, indicator and period."""
    sql = (
        "SELECT c.provider_number, i.code, v.period_kind, v.period, v.numerator, v.denominator "
        "FROM quality_indicatorvalue v JOIN registry_clinic c ON c.id = v.clinic_id "
        "JOIN quality_indicator i ON i.id = v.indicator_id"
    )
    params: list = []
    if indicator:
        sql += " WHERE i.code = %s"
        params.append(indicator)
    sql += " ORDER BY c.provider_number, i.code, v.period_kind, v.period"
    out.write(HEADER)
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(chunk):
            out.write(
                "".join(
                    f"{p},{code},{format_period(kind, period if not isinstance(period, str) else _date(period))},{n},{d}\n"
                    for p, code, kind, period, n, d in batch
                )
            )
            rows += len(batch)
    return rows


def _date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)
