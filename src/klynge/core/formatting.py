"""Danish-first number, money and date formatting (PLAT-2), locale-aware so English
pages get English separators and month names.

Numbers and money follow the configured jurisdiction (`klynge.core.jurisdiction`): its
separators for the interface's language and its currency (Denmark: `327.800 kr.`;
England: `£327,800`). Dates follow Django's formats for the language."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, numberformat, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from klynge.core import jurisdiction

NBSP = "\u00a0"


def format_number(value: int | float | Decimal | None, decimals: int = 0) -> str:
    """`1234567` → `1.234.567` (Danish) / `1,234,567` (English); `None` → `–`. The
    separators are the jurisdiction's for the active language."""
    if value is None:
        return "–"
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    style = jurisdiction.active().number_format(get_language())
    return numberformat.format(
        rounded,
        style.decimal,
        decimal_pos=decimals,
        grouping=style.grouping,
        thousand_sep=style.thousands,
        force_grouping=True,
    )


def format_money(value: int | float | Decimal | None, decimals: int | None = None) -> str:
    """`327800` → `327.800 kr.` with a non-breaking space, as Danish pages write it
    (England: `£327,800`, a negative `-£1,500`). An amount with øre (pence) keeps them
    (`17.812,50 kr.`) unless `decimals` says otherwise: an amount on a page or in a PDF
    is the exact amount."""
    if value is None:
        return "–"
    if decimals is None:
        decimals = 0 if Decimal(str(value)) % 1 == 0 else 2
    number = format_number(value, decimals)
    currency = jurisdiction.active().currency
    if not currency.prefix:
        return f"{number}{NBSP}{currency.symbol}"
    sign, digits = ("-", number[1:]) if number.startswith("-") else ("", number)
    return f"{sign}{currency.symbol}{digits}"


def format_percent(share: float | None, decimals: int = 1) -> str:
    """`0.125` → `12,5 %` (Danish, non-breaking space) / `12.5%` (English)."""
    if share is None:
        return "–"
    number = format_number(share * 100, decimals)
    return f"{number}{NBSP}%" if (get_language() or "da").startswith("da") else f"{number}%"


def format_per_thousand(rate: float | None, decimals: int = 1) -> str:
    """Events per patient `0.0123` → `12,3 pr. 1.000` / `12.3 per 1,000`."""
    if rate is None:
        return "–"
    per = _("per 1,000")
    return f"{format_number(rate * 1000, decimals)}{NBSP}{per}"


def format_date(value: dt.date | None) -> str:
    """`2019-10-24` → `24. oktober 2019` (Danish) / `24 October 2019` (English); a
    datetime is read in local (Copenhagen) time first."""
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(value, "DATE_FORMAT")


def format_time(value: dt.datetime | dt.time | None) -> str:
    """Local time of day: `17:00`."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return f"{value:%H:%M}"


def format_datetime(value: dt.datetime | None) -> str:
    """`tirsdag 24. oktober 2019 kl. 17:00` / `Tuesday 24 October 2019 at 17:00`."""
    if value is None:
        return "–"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    weekday = formats.date_format(local, "l")
    return _("%(weekday)s %(date)s at %(time)s") % {
        "weekday": weekday,
        "date": format_date(local.date()),
        "time": format_time(local),
    }


def mid_sentence(label: str) -> str:
    """A capitalised label for use inside a sentence: "Formand" → "formand", but
    acronyms stay: "IT- og datakyndig" is left as it is."""
    label = str(label)
    return label[:1].lower() + label[1:] if label[1:2].islower() else label
