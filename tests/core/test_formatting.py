"""Danish-first formatting (PLAT-2, METHODS.md part C "Formatting"): Danish pages get
`327.800 kr.`, `24. oktober 2019` and `12,5 %` with non-breaking spaces; English pages
English separators and month names."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from klynge.core.formatting import (
    NBSP,
    format_date,
    format_money,
    format_number,
    format_percent,
)


@pytest.fixture
def da():
    with translation.override("da"):
        yield


@pytest.fixture
def en():
    with translation.override("en"):
        yield


def test_nbsp_is_the_non_breaking_space():
    assert NBSP == "\u00a0"


# --- Danish -----------------------------------------------------------------------------------


def test_money_da(da):
    assert format_money(327800) == "327.800\u00a0kr."
    assert format_money(0) == "0\u00a0kr."
    assert format_money(1234.5, decimals=2) == "1.234,50\u00a0kr."
    assert format_money(Decimal("-1500")) == "-1.500\u00a0kr."
    # Øre are kept: a fee of 17.812,50 kr. is not 17.813 kr. (issue 15).
    assert format_money(Decimal("17812.50")) == "17.812,50\u00a0kr."
    assert format_money(Decimal("17812.5")) == "17.812,50\u00a0kr."
    assert format_money(Decimal("17812.00")) == "17.812\u00a0kr."


def test_date_da(da):
    assert format_date(dt.date(2019, 10, 24)) == "24. oktober 2019"
    assert format_date(dt.date(2021, 1, 1)) == "1. januar 2021"


def test_percent_da(da):
    assert format_percent(0.125) == "12,5\u00a0%"
    assert format_percent(1) == "100,0\u00a0%"
    assert format_percent(0.98, decimals=0) == "98\u00a0%"


def test_number_da(da):
    assert format_number(1234567) == "1.234.567"
    assert format_number(1234567.891, decimals=2) == "1.234.567,89"
    assert format_number(999) == "999"


@pytest.mark.parametrize(("value", "expected"), [(0.5, "1"), (2.5, "3"), (-2.5, "-3"), (1.49, "1")])
def test_number_rounds_half_up_not_to_even(da, value, expected):
    assert format_number(value) == expected


# --- English ---------------------------------------------------------------------------------


def test_money_en(en):
    assert format_money(327800) == "327,800\u00a0kr."
    assert format_money(1234.5, decimals=2) == "1,234.50\u00a0kr."


def test_date_en(en):
    assert format_date(dt.date(2019, 10, 24)) == "24 October 2019"


def test_percent_en(en):
    assert format_percent(0.125) == "12.5%"


def test_number_en(en):
    assert format_number(1234567.891, decimals=2) == "1,234,567.89"


# --- Missing values --------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["da", "en"])
def test_none_is_a_dash(language):
    with translation.override(language):
        assert format_number(None) == "–"
        assert format_money(None) == "–"
        assert format_percent(None) == "–"
        assert format_date(None) == "–"
