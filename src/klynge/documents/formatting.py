"""File sizes as people read them: `1234567` → `1,2 MB` (Danish decimal comma)."""

from __future__ import annotations

from klynge.core.formatting import NBSP, format_number

_UNITS = ("kB", "MB", "GB", "TB")


def filesize(size: int | None) -> str:
    """Bytes in binary steps (1 kB = 1024 B, as the upload limit is counted): whole
    bytes and kilobytes, one decimal from a megabyte on unless the number is whole
    (`1,2 MB`, `20 MB`); `None` → `–`."""
    if size is None:
        return "–"
    if size < 1024:
        return f"{format_number(size)}{NBSP}B"
    value = float(size)
    for unit in _UNITS:
        value /= 1024
        if value < 1024 or unit == _UNITS[-1]:
            break
    # One decimal from a megabyte on, but a whole number stays whole ("20 MB").
    decimals = 0 if unit == "kB" or round(value, 1) == round(value) else 1
    return f"{format_number(value, decimals)}{NBSP}{unit}"
