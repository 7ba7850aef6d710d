"""Danish working days (DATA-7): pure, no Django.

A working day is Monday to Friday and not a Danish public holiday. The holidays are the
statutory *helligdage* plus the days the regions' quality units are closed by agreement:

* nytårsdag (1 January), skærtorsdag, langfredag, påskedag, 2. påskedag, Kristi
  himmelfartsdag, pinsedag, 2. pinsedag, juledag (25 December), 2. juledag (26 December);
* store bededag (the fourth Friday after Easter) only **before 2024**: it was abolished
  as a public holiday from 2024 (lov nr. 186 af 28. februar 2023), so time decides;
* grundlovsdag (5 June) counts as a **whole** day off: the regional units close at noon
  and a half day cannot carry a delivery, so we do not count it as a working day;
* juleaften (24 December) and nytårsaften (31 December) are **not** public holidays and
  count as working days (the units are often thinly staffed, but open).

Easter Sunday comes from `dateutil.easter` (the Western, Gregorian computus)."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from dateutil.easter import easter

STORE_BEDEDAG_LAST_YEAR = 2023


@lru_cache(maxsize=256)
def holidays(year: int) -> dict[dt.date, str]:
    """The public holidays of `year` (date → Danish name)."""
    sunday = easter(year)
    days = {
        dt.date(year, 1, 1): "Nytårsdag",
        sunday - dt.timedelta(days=3): "Skærtorsdag",
        sunday - dt.timedelta(days=2): "Langfredag",
        sunday: "Påskedag",
        sunday + dt.timedelta(days=1): "2. påskedag",
        sunday + dt.timedelta(days=39): "Kristi himmelfartsdag",
        sunday + dt.timedelta(days=49): "Pinsedag",
        sunday + dt.timedelta(days=50): "2. pinsedag",
        dt.date(year, 6, 5): "Grundlovsdag",
        dt.date(year, 12, 25): "Juledag",
        dt.date(year, 12, 26): "2. juledag",
    }
    if year <= STORE_BEDEDAG_LAST_YEAR:
        days[sunday + dt.timedelta(days=26)] = "Store bededag"
    return days


def is_working_day(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (`start` itself not counted); with a
    negative `days`, that many working days before. 0 gives `start` moved forward to
    the next working day when it is not one."""
    day = start
    if days == 0:
        while not is_working_day(day):
            day += dt.timedelta(days=1)
        return day
    step = dt.timedelta(days=1 if days > 0 else -1)
    remaining = abs(days)
    while remaining:
        day += step
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end` (negative when `end` is
    before `start`)."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
