"""Periods: a month (`2024-03`) or a quarter (`2024-Q1`), stored as their first day
and a kind. Pure functions."""

from __future__ import annotations

import datetime as dt
import re

MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
QUARTER_RE = re.compile(r"^\s*(\d{4})\s*-?\s*[QqKk]\s*([1-4])\s*$")


def parse_period(text: str) -> tuple[str, dt.date]:
    """`"2024-03"` → ("M", 2024-03-01); `"2024-Q1"` (or `2024K1`) → ("Q", 2024-01-01)."""
    if m := MONTH_RE.match(text):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return "M", dt.date(year, month, 1)
    if m := QUARTER_RE.match(text):
        return "Q", dt.date(int(m[1]), 3 * (int(m[2]) - 1) + 1, 1)
    raise ValueError(text)


def format_period(kind: str, start: dt.date) -> str:
    """The import format: `2024-03` or `2024-Q1` (so an export imports back)."""
    if kind == "Q":
        return f"{start.year}-Q{(start.month - 1) // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def add_months(start: dt.date, months: int) -> dt.date:
    index = start.year * 12 + start.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def quarter_of(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
