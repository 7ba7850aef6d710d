"""Grant rules (FIN-1) as a pure function: no Django imports, money as Decimal.

A scheme is data, valid from a date: a one-off start grant per doctor capacity, an
operating rate per listed patient per year, supplementary rates for some years, and an
optional minimum per cluster per year. The basis is the cluster's listed patients on
1 January of the year it was established.

The guide's examples come out exactly:
20 capacities, 30,000 patients → 200,000 + 127,800 = 327,800 kr. in the first year and
127,800 kr. in later years; 14 capacities, 22,000 patients → 140,000 + 93,720 = 233,720.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

ZERO = Decimal("0")
KRONE = Decimal("1")


@dataclass(frozen=True)
class Scheme:
    valid_from: dt.date
    start_per_capacity: Decimal
    operating_rate: Decimal  # per listed patient per year
    supplementary: Mapping[int, Decimal] = field(default_factory=dict)  # year -> rate per patient
    minimum_per_year: Decimal | None = None  # a floor for operating + supplementary


@dataclass(frozen=True)
class Grant:
    year: int
    capacities: int
    patients_basis: int
    start: Decimal
    operating: Decimal
    supplementary: Decimal
    minimum_top_up: Decimal

    @property
    def total(self) -> Decimal:
        return self.start + self.operating + self.supplementary + self.minimum_top_up


def scheme_for(schemes: Sequence[Scheme], on: dt.date) -> Scheme:
    """The scheme in force on `on`: the latest `valid_from` not after it."""
    valid = [s for s in schemes if s.valid_from <= on]
    if not valid:
        raise ValueError(f"no grant scheme in force on {on.isoformat()}")
    return max(valid, key=lambda s: s.valid_from)


def _kroner(amount: Decimal) -> Decimal:
    return amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def grant_for_year(
    *, scheme: Scheme, year: int, founded: dt.date, capacities: int, patients_basis: int
) -> Grant:
    """The grant a cluster founded on `founded` receives for `year`. Nothing before the
    founding year; the start grant only in the founding year."""
    if year < founded.year:
        return Grant(year, capacities, patients_basis, ZERO, ZERO, ZERO, ZERO)
    start = _kroner(scheme.start_per_capacity * capacities) if year == founded.year else ZERO
    operating = _kroner(scheme.operating_rate * patients_basis)
    supplementary = _kroner(scheme.supplementary.get(year, ZERO) * patients_basis)
    top_up = ZERO
    if scheme.minimum_per_year is not None and operating + supplementary < scheme.minimum_per_year:
        top_up = scheme.minimum_per_year - operating - supplementary
    return Grant(year, capacities, patients_basis, start, operating, supplementary, top_up)


def first_payout(registration_completed: dt.date | None) -> dt.date | None:
    """The first turn of the month after the registration became complete (FIN-2)."""
    if registration_completed is None:
        return None
    year, month = registration_completed.year, registration_completed.month + 1
    if month == 13:
        year, month = year + 1, 1
    return dt.date(year, month, 1)
