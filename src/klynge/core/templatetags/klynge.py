"""Template filters: `{{ amount|kr }}`, `{{ n|number }}`, `{{ share|percent }}`,
`{{ date|long_date }}`. Templates format; they never compute."""

from django import template

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
