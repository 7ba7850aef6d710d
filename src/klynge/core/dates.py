"""Dates every domain asks about: which day it is here (Europe/Copenhagen by default)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone


def today() -> dt.date:
    """Today in the site's time zone: the date every "on which date?" defaults to."""
    return timezone.localdate()
