"""Helpers shared by the economy views."""

from __future__ import annotations

from django.http import HttpRequest

from klynge.core.dates import today


def year_of(request: HttpRequest) -> int:
    """The year asked for (`?aar=`), else this year."""
    raw = request.GET.get("aar", "")
    return int(raw) if raw.isdigit() and 2017 <= int(raw) <= 2100 else today().year
