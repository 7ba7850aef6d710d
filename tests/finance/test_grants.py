"""FIN-1 grant rules: the guide's golden examples exactly, and the `grants` command."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from klynge.finance import grants

GUIDE = grants.Scheme(dt.date(2017, 1, 1), Decimal("10000"), Decimal("4.26"))
FOUNDED = dt.date(2019, 3, 1)


@pytest.mark.parametrize(
    ("capacities", "patients", "year", "total"),
    [
        (20, 30_000, 2019, Decimal("327800")),  # 200,000 + 127,800 in the first year
        (20, 30_000, 2020, Decimal("127800")),  # later years: the operating grant only
        (14, 22_000, 2019, Decimal("233720")),  # 140,000 + 93,720
    ],
)
def test_the_guides_examples_come_out_exactly(capacities, patients, year, total):
    grant = grants.grant_for_year(
        scheme=GUIDE, year=year, founded=FOUNDED, capacities=capacities, patients_basis=patients
    )
    assert grant.total == total


def test_the_parts_of_the_first_years_grant():
    grant = grants.grant_for_year(
        scheme=GUIDE, year=2019, founded=FOUNDED, capacities=20, patients_basis=30_000
    )
    assert (grant.start, grant.operating, grant.supplementary) == (
        Decimal("200000"),
        Decimal("127800"),
        Decimal("0"),
    )


def test_nothing_before_the_founding_year():
    grant = grants.grant_for_year(
        scheme=GUIDE, year=2018, founded=FOUNDED, capacities=20, patients_basis=30_000
    )
    assert grant.total == 0


def test_supplementary_rates_by_year_and_the_optional_minimum():
    scheme = grants.Scheme(
        dt.date(2017, 1, 1),
        Decimal("10000"),
        Decimal("4.26"),
        supplementary={2019: Decimal("2.16"), 2021: Decimal("0.47")},
        minimum_per_year=Decimal("125000"),
    )
    in_2019 = grants.grant_for_year(
        scheme=scheme, year=2021, founded=FOUNDED, capacities=10, patients_basis=17_000
    )
    assert in_2019.supplementary == Decimal("7990.00")  # 0.47 × 17,000
    assert in_2019.operating + in_2019.supplementary + in_2019.minimum_top_up == Decimal("125000")
    big = grants.grant_for_year(
        scheme=scheme, year=2019, founded=FOUNDED, capacities=20, patients_basis=30_000
    )
    assert big.supplementary == Decimal("64800.00") and big.minimum_top_up == 0


def test_the_scheme_in_force_is_the_latest_valid_one():
    older = grants.Scheme(dt.date(2017, 1, 1), Decimal("10000"), Decimal("4.20"))
    newer = grants.Scheme(dt.date(2019, 1, 1), Decimal("10000"), Decimal("4.26"))
    assert grants.scheme_for([newer, older], dt.date(2018, 6, 1)) is older
    assert grants.scheme_for([newer, older], dt.date(2019, 1, 1)) is newer
    with pytest.raises(ValueError):
        grants.scheme_for([newer], dt.date(2016, 1, 1))


@pytest.mark.parametrize(
    ("completed", "first"),
    [
        (dt.date(2019, 3, 14), dt.date(2019, 4, 1)),
        (dt.date(2019, 12, 31), dt.date(2020, 1, 1)),
        (dt.date(2019, 3, 1), dt.date(2019, 4, 1)),
        (None, None),
    ],
)
def test_first_payout_is_the_first_turn_of_the_month_after_completion(completed, first):
    assert grants.first_payout(completed) == first


@pytest.mark.django_db
def test_grants_command_on_the_register():
    from tests.world import build_world

    world = build_world()
    out = io.StringIO()
    call_command("grants", "--year", "2019", "--format", "csv", stdout=out)
    rows = {r["cluster"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    koege = rows["Køgeklyngen"]
    # 3 clinics × 2 capacities and 3,200 patients each on 1 January 2019; founded 2019.
    assert (koege["capacities"], koege["patients_basis"]) == ("6", "9600")
    assert Decimal(koege["start_grant"]) == Decimal("60000")
    assert Decimal(koege["operating_grant"]) == Decimal("40896.00")  # 4.26 × 9,600
    assert Decimal(koege["supplementary_grant"]) == Decimal("20736.00")  # 2.16 × 9,600 in 2019
    assert Decimal(koege["total"]) == Decimal("121632.00")
    assert koege["first_payout"] == ""  # the founding minutes are missing: not yet complete
    world.cluster_a.registration_completed = dt.date(2019, 5, 20)
    world.cluster_a.save()
    out = io.StringIO()
    call_command("grants", "--year", "2019", stdout=out)
    assert "2019-06-01" in out.getvalue()
