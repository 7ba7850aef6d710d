"""Template filters: `{{ amount|kr }}`, `{{ n|number }}`, `{{ share|percent }}`,
`{{ date|long_date }}`. Templates format; they never compute."""

import datetime as dt
import re
from decimal import Decimal

from django import template
from django.template.loader import select_template
from django.utils.safestring import mark_safe

from klynge.core import formatting

register = template.Library()


@register.filter
def kr(value):
    return formatting.format_money(value)


@register.filter
def number(value, decimals=0):
    return formatting.format_number(value, int(decimals))


@register.filter
def percent(value, decimals=1):
    return formatting.format_percent(value, int(decimals))


@register.filter
def per_thousand(value, decimals=1):
    return formatting.format_per_thousand(value, int(decimals))


@register.filter
def long_date(value):
    return formatting.format_date(value)


@register.filter
def mid_sentence(value):
    return formatting.mid_sentence(value)


@register.filter
def long_datetime(value):
    return formatting.format_datetime(value)


@register.filter
def time_of_day(value):
    return formatting.format_time(value)


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ACTION = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")


def _from_json(value):
    """Dates and amounts are logged as text (`"2019-03-01"`, `"1250.00"`); give them
    back as a date and a Decimal so the sentence can format them."""
    if isinstance(value, str) and _ISO_DATE.match(value):
        return dt.date.fromisoformat(value)
    if isinstance(value, str) and _DECIMAL.match(value):
        return Decimal(value)
    return value


@register.simple_tag
def log_entry(entry):
    """An audit entry as a sentence: the template `core/log_entry/<action>.html` (one
    small template per action code, as byro's `log_entry/<action>.html`), or
    `core/log_entry/default.html`. The templates get `entry`, `data` (dates stored as
    ISO text come back as dates) and `object` (the target as it read when logged)."""
    data = {key: _from_json(value) for key, value in (entry.data or {}).items()}
    names = ["core/log_entry/default.html"]
    if _ACTION.match(entry.action):
        names.insert(0, f"core/log_entry/{entry.action}.html")
    template = select_template(names)
    html = template.render({"entry": entry, "data": data, "object": entry.object_repr})
    return mark_safe(html.strip())  # rendered with autoescaping
