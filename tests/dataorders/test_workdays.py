"""Danish working days against known calendars (the published helligdage of each year)."""

from __future__ import annotations

import datetime as dt

import pytest

from klynge.dataorders.workdays import (
    add_working_days,
    holidays,
    is_working_day,
    working_days_between,
)

D = dt.date


def test_2026_holidays_are_the_published_ones():
    assert sorted(holidays(2026)) == [
        D(2026, 1, 1),
        D(2026, 4, 2),  # skærtorsdag
        D(2026, 4, 3),  # langfredag
        D(2026, 4, 5),  # påskedag
        D(2026, 4, 6),  # 2. påskedag
        D(2026, 5, 14),  # Kristi himmelfartsdag
        D(2026, 5, 24),  # pinsedag
        D(2026, 5, 25),  # 2. pinsedag
        D(2026, 6, 5),  # grundlovsdag (counted as a whole day)
        D(2026, 12, 25),
        D(2026, 12, 26),
    ]


@pytest.mark.parametrize(
    ("year", "easter_monday", "ascension", "whit_monday"),
    [
        (2019, D(2019, 4, 22), D(2019, 5, 30), D(2019, 6, 10)),
        (2024, D(2024, 4, 1), D(2024, 5, 9), D(2024, 5, 20)),
        (2025, D(2025, 4, 21), D(2025, 5, 29), D(2025, 6, 9)),
        (2027, D(2027, 3, 29), D(2027, 5, 6), D(2027, 5, 17)),
    ],
)
def test_movable_feasts(year, easter_monday, ascension, whit_monday):
    days = holidays(year)
    assert days[easter_monday] == "2. påskedag"
    assert days[ascension] == "Kristi himmelfartsdag"
    assert days[whit_monday] == "2. pinsedag"


def test_store_bededag_counts_before_2024_only():
    assert holidays(2023)[D(2023, 5, 5)] == "Store bededag"
    assert holidays(2019)[D(2019, 5, 17)] == "Store bededag"
    assert not is_working_day(D(2023, 5, 5))
    # 2024: the fourth Friday after Easter is an ordinary working day.
    assert D(2024, 4, 26) not in holidays(2024)
    assert is_working_day(D(2024, 4, 26))
    assert "Store bededag" not in holidays(2026).values()


def test_christmas_eve_is_a_working_day_christmas_is_not():
    assert is_working_day(D(2026, 12, 24))  # Thursday, not a public holiday
    assert not is_working_day(D(2026, 12, 25))
    assert not is_working_day(D(2025, 12, 26))


def test_weekends():
    assert not is_working_day(D(2026, 12, 5))  # Saturday
    assert not is_working_day(D(2026, 12, 6))
    assert is_working_day(D(2026, 12, 7))


def test_add_across_easter_2026():
    # Wednesday 1 April + 1 working day: skærtorsdag, langfredag, the weekend and
    # 2. påskedag are skipped → Tuesday 7 April.
    assert add_working_days(D(2026, 4, 1), 1) == D(2026, 4, 7)
    assert add_working_days(D(2026, 4, 7), -1) == D(2026, 4, 1)


def test_add_across_christmas_2026():
    # Wednesday 23 December + 2: juleaften (Thu) counts, juledag (Fri), the weekend
    # and 2. juledag (Sat) do not → Monday 28 December.
    assert add_working_days(D(2026, 12, 23), 2) == D(2026, 12, 28)


def test_add_across_ascension_and_whitsun_2025():
    # Wednesday 28 May 2025 + 1 skips Kristi himmelfart (Thu 29) → Friday 30 May.
    assert add_working_days(D(2025, 5, 28), 1) == D(2025, 5, 30)
    # Friday 6 June 2025 + 1 skips the weekend and 2. pinsedag → Tuesday 10 June.
    assert add_working_days(D(2025, 6, 6), 1) == D(2025, 6, 10)


def test_store_bededag_moves_a_due_date_in_2023_but_not_in_2024():
    # Thursday 4 May 2023 + 1 → Monday 8 May (store bededag Friday 5 May).
    assert add_working_days(D(2023, 5, 4), 1) == D(2023, 5, 8)
    # Thursday 25 April 2024 + 1 → Friday 26 April (no longer a holiday).
    assert add_working_days(D(2024, 4, 25), 1) == D(2024, 4, 26)


def test_zero_rolls_forward_to_a_working_day():
    assert add_working_days(D(2026, 12, 25), 0) == D(2026, 12, 28)
    assert add_working_days(D(2026, 12, 1), 0) == D(2026, 12, 1)


def test_between():
    assert working_days_between(D(2026, 12, 1), D(2026, 12, 8)) == 5
    assert working_days_between(D(2026, 12, 23), D(2026, 12, 31)) == 5  # 24, 28, 29, 30, 31
    assert working_days_between(D(2026, 12, 8), D(2026, 12, 1)) == -5
    # 20 working days from a Monday in December 2026, over Christmas and New Year.
    end = add_working_days(D(2026, 12, 14), 20)
    assert working_days_between(D(2026, 12, 14), end) == 20
    assert end == D(2027, 1, 13)  # 24 Dec counts; 25, 26 Dec and 1 Jan do not
