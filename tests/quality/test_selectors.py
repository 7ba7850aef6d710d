"""Who sees what in a cluster's benchmark (`selectors.benchmark`): the viewer's own
clinic by name-less "Your clinic" with its true counts, everyone else as a pseudonym
drawn afresh per presentation, only consenting clinics, the cluster value as
Σ numerator / Σ denominator of exactly the clinics shown, and small counts hidden with
secondary suppression (METHODS.md B). Also the time series and the import roles."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import translation

from klynge.core.errors import DomainError
from klynge.core.permissions import Role
from klynge.quality import selectors, services
from klynge.quality.models import (
    ClusterDataSettings,
    Consent,
    ImportRun,
    Indicator,
    IndicatorValue,
    Presentation,
)

pytestmark = pytest.mark.django_db

DECEMBER = dt.date(2024, 12, 1)
JUNE = dt.date(2024, 6, 1)
ON = dt.date(2025, 1, 15)


@pytest.fixture
def opioids(db):
    return Indicator.objects.get(code="opioids")


def bench(world, viewer: str, indicator, *, last=DECEMBER, months=3, on=ON, salt=None):
    return selectors.benchmark(
        viewer=world.users[viewer],
        cluster=world.cluster_a,
        indicator=indicator,
        last=last,
        months=months,
        on=on,
        salt=salt,
    )


def put(clinic, indicator, n: int, d: int, period=JUNE) -> None:
    IndicatorValue.objects.create(
        clinic=clinic, indicator=indicator, period=period, numerator=n, denominator=d
    )


# The world's opioid counts summed over October-December 2024:
# clinic i has numerator Σ(10 + i + month) = 63 + 3i and denominator 3·(200 + 10i).
WORLD_SUMS = {0: (63, 600), 1: (66, 630), 2: (69, 660)}


@pytest.mark.parametrize(
    ("language", "own_label", "other"),
    [("da", "Din klinik", "Klinik"), ("en", "Your clinic", "Clinic")],
)
def test_a_member_sees_their_own_clinic_and_pseudonyms_for_the_rest(
    world, opioids, language, own_label, other
):
    with translation.override(language):
        result = bench(world, "member_a", opioids)
    own, *others = result.points
    assert own.own and own.label == own_label
    assert (own.numerator, own.denominator) == WORLD_SUMS[2]  # member_a works at clinic 3
    assert own.value == pytest.approx(69 / 660) and not own.hidden
    assert len(others) == 2
    assert all(re.fullmatch(rf"{other} [A-Z]", p.label) and not p.own for p in others)
    assert len({p.label for p in others}) == 2
    assert sorted((p.numerator, p.denominator) for p in others) == [WORLD_SUMS[0], WORLD_SUMS[1]]
    names = {c.name for c in world.clinics_a} | {c.provider_number for c in world.clinics_a}
    assert not names & {p.label for p in result.points}
    assert result.presentation == Presentation.ANONYMISED
    assert (result.first, result.last) == (dt.date(2024, 10, 1), DECEMBER)


def test_a_viewer_outside_the_cluster_sees_only_pseudonyms(world, opioids):
    for viewer in ("secretariat", "region_a", "member_b"):
        result = bench(world, viewer, opioids)
        assert len(result.points) == 3
        assert not any(p.own for p in result.points)
        assert sorted(p.numerator for p in result.points) == [63, 66, 69]


def test_the_cluster_value_is_the_sum_of_numerators_over_the_sum_of_denominators(world, opioids):
    result = bench(world, "member_a", opioids)
    n = sum(v[0] for v in WORLD_SUMS.values())
    d = sum(v[1] for v in WORLD_SUMS.values())
    assert (result.cluster_level.numerator, result.cluster_level.denominator) == (n, d)
    assert result.cluster_level.value == pytest.approx(n / d)
    mean_of_ratios = sum(a / b for a, b in WORLD_SUMS.values()) / 3
    assert result.cluster_level.value != pytest.approx(mean_of_ratios, rel=1e-9, abs=0)
    assert result.cluster_level.label == world.cluster_a.name
    # The nation: all five clinics of the world with values.
    nation_n = sum(63 + 3 * i for i in range(5))
    nation_d = sum(600 + 30 * i for i in range(5))
    assert (result.nation_level.numerator, result.nation_level.denominator) == (nation_n, nation_d)
    assert (result.region_level.numerator, result.region_level.denominator) == (n, d)  # Sjælland


def test_pseudonyms_are_stable_within_a_presentation_and_differ_between_them():
    ids = list(range(101, 121))
    first = selectors.pseudonyms(clinic_ids=ids, salt="7:3:2025-01-15")
    assert first == selectors.pseudonyms(clinic_ids=list(reversed(ids)), salt="7:3:2025-01-15")
    assert sorted(first.values()) == sorted(selectors.pseudonyms(clinic_ids=ids, salt="x").values())
    assert len(set(first.values())) == 20
    assert first != selectors.pseudonyms(clinic_ids=ids, salt="7:3:2025-01-16")
    assert first != selectors.pseudonyms(clinic_ids=ids, salt="8:3:2025-01-15")
    many = selectors.pseudonyms(clinic_ids=list(range(30)), salt="s")
    assert len(set(many.values())) == 30  # beyond Z: AA, AB, …


def test_a_clinic_cannot_be_followed_from_one_day_to_the_next(world, opioids):
    def who_is_who(on=ON, salt=None):
        result = bench(world, "secretariat", opioids, on=on, salt=salt)
        return {p.label: p.numerator for p in result.points}

    assert who_is_who() == who_is_who()  # stable within a day
    days = [who_is_who(on=ON + dt.timedelta(days=k)) for k in range(8)]
    assert len({tuple(sorted(d.items())) for d in days}) > 1
    salts = [who_is_who(salt=f"meeting-{k}") for k in range(8)]
    assert len({tuple(sorted(d.items())) for d in salts}) > 1


def test_a_clinic_without_consent_is_left_out_of_points_and_cluster_value(world, opioids):
    Consent.objects.filter(clinic=world.clinics_a[1]).update(end=dt.date(2024, 12, 31))
    result = bench(world, "member_a", opioids)
    assert len(result.points) == 2
    assert sorted(p.numerator for p in result.points) == [63, 69]
    assert result.without_consent == 1
    assert (result.cluster_level.numerator, result.cluster_level.denominator) == (
        63 + 69,
        600 + 660,
    )
    assert not result.own_without_consent


def test_the_viewers_own_clinic_without_consent_is_shown_to_them_but_not_counted(world, opioids):
    Consent.objects.filter(clinic=world.clinics_a[2]).delete()
    result = bench(world, "member_a", opioids)
    assert result.own_without_consent
    own = [p for p in result.points if p.own]
    assert len(own) == 1 and own[0].numerator == 69
    assert (result.cluster_level.numerator, result.cluster_level.denominator) == (63 + 66, 1230)
    assert len(bench(world, "secretariat", opioids).points) == 2


def test_small_counts_are_hidden_with_a_second_cell(world):
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    c1, c2, c3 = world.clinics_a
    put(c1, nsaid, 2, 100)  # primary: numerator 2
    put(c2, nsaid, 30, 200)
    put(c3, nsaid, 20, 300)  # member_a's own clinic

    member = bench(world, "member_a", nsaid, last=JUNE, months=1)
    own = next(p for p in member.points if p.own)
    assert (own.numerator, own.denominator, own.hidden) == (20, 300, False)
    others = [p for p in member.points if not p.own]
    assert all(p.hidden and p.numerator is p.denominator is p.value is None for p in others)
    assert (member.cluster_level.numerator, member.cluster_level.denominator) == (52, 600)

    staff = bench(world, "secretariat", nsaid, last=JUNE, months=1)
    shown = [(p.numerator, p.denominator) for p in staff.points if not p.hidden]
    assert shown == [(20, 300)]  # 2/100 hidden, and 30/200 (the smallest other) with it
    assert sum(p.hidden for p in staff.points) == 2
    assert staff.cluster_level.numerator == 52


@pytest.mark.parametrize(
    ("n", "d", "hidden"),
    [
        (0, 100, False),
        (1, 100, True),
        (4, 100, True),
        (5, 100, False),
        (96, 100, True),  # complement 4
        (95, 100, False),
        (0, 4, True),  # denominator below 5
        (0, 0, False),
    ],
)
def test_primary_suppression_thresholds(world, n, d, hidden):
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    c1, c2, c3 = world.clinics_a
    put(c1, nsaid, n, d)
    put(c2, nsaid, 50, 500)
    put(c3, nsaid, 60, 600)
    result = bench(world, "secretariat", nsaid, last=JUNE, months=1)
    visible = [(p.numerator, p.denominator) for p in result.points if not p.hidden]
    if hidden:
        assert (n, d) not in visible
        assert sum(p.hidden for p in result.points) == 2  # never one hidden cell alone
        assert (60, 600) in visible  # the secondary cell is the smallest other one
    else:
        assert not any(p.hidden for p in result.points)
        assert (n, d) in visible
    assert result.cluster_level.numerator == n + 110


def test_a_rate_is_not_hidden_for_its_complement(world):
    crp = Indicator.objects.get(code="crp_tests")
    for clinic, (n, d) in zip(world.clinics_a, [(398, 400), (500, 400), (300, 400)], strict=True):
        put(clinic, crp, n, d)
    result = bench(world, "secretariat", crp, last=JUNE, months=1)
    assert not any(p.hidden for p in result.points)
    assert result.cluster_level.value == pytest.approx(1198 / 1200)


def test_the_cluster_total_is_hidden_when_hidden_cells_cannot_be_protected(world):
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    c1, c2, _c3 = world.clinics_a
    put(c1, nsaid, 1, 100)
    put(c2, nsaid, 2, 100)  # hidden together they still sum to 3 < 5; no third clinic
    result = bench(world, "secretariat", nsaid, last=JUNE, months=1)
    assert sum(p.hidden for p in result.points) == 2
    assert result.cluster_level.numerator is None and result.cluster_level.value is None


def test_open_presentation_names_clinics_only_when_every_member_consents(world, opioids):
    coordinator = world.users["coordinator_a"]
    services.presentation_set(
        actor=coordinator, cluster=world.cluster_a, presentation=Presentation.OPEN, on=ON
    )
    result = bench(world, "member_a", opioids)
    assert result.presentation == "open"
    labels = {p.label: p.numerator for p in result.points if not p.own}
    assert labels == {world.clinics_a[0].name: 63, world.clinics_a[1].name: 66}

    # A consent ending behind the service's back: the benchmark falls back by itself.
    Consent.objects.filter(clinic=world.clinics_a[0]).update(end=dt.date(2025, 1, 1))
    assert ClusterDataSettings.objects.get(cluster=world.cluster_a).presentation == "open"
    result = bench(world, "member_a", opioids)
    assert result.presentation == Presentation.ANONYMISED
    assert not {c.name for c in world.clinics_a} & {p.label for p in result.points}

    with pytest.raises(DomainError):
        services.presentation_set(
            actor=coordinator, cluster=world.cluster_a, presentation=Presentation.OPEN, on=ON
        )


# --- Time series -------------------------------------------------------------------------------


def test_the_cluster_trend_sums_consenting_clinics_and_hides_small_months(world):
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    c1, c2, c3 = world.clinics_a
    for month in range(1, 7):
        put(c1, nsaid, 10 * month, 100, period=dt.date(2024, month, 1))
        put(c2, nsaid, 5, 100, period=dt.date(2024, month, 1))
    put(c3, nsaid, 3, 10, period=dt.date(2024, 7, 1))  # the only value in July: small
    Consent.objects.filter(clinic=c2).delete()
    trend = selectors.cluster_trend(
        cluster=world.cluster_a,
        indicator=nsaid,
        first=dt.date(2024, 1, 1),
        last=dt.date(2024, 8, 1),
        on=ON,
    )
    assert trend.series.numerators == [10, 20, 30, 40, 50, 60, 3, 0]
    assert trend.series.denominators == [100] * 6 + [10, 0]
    assert trend.hidden_months == [dt.date(2024, 7, 1)]
    assert trend.series.values[-1] is None


def test_a_clinics_own_trend_is_not_suppressed(world):
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    put(world.clinics_a[2], nsaid, 2, 10)
    trend = selectors.clinic_trend(
        clinic_id=world.clinics_a[2].pk, cluster=None, indicator=nsaid, first=JUNE, last=JUNE
    )
    assert trend.hidden_months == []
    assert trend.series.values == [0.2]


# --- Roles on an import ---------------------------------------------------------------------------


def test_roles_on_a_clusters_import(world):
    run = ImportRun.objects.get(filename="data.csv")  # the coordinator's, scope cluster A
    roles = {
        name: selectors.user_import_roles(user, run) for name, user in world.users.items() if user
    }
    assert Role.OWNER in roles["coordinator_a"] and Role.COORDINATOR in roles["coordinator_a"]
    assert roles["board_a"] == {Role.BOARD}
    assert roles["member_a"] == set()
    assert roles["member_b"] == set()
    assert roles["region_a"] == {Role.REGION}
    assert roles["region_other"] == set()
    region_run = ImportRun.objects.create(actor=world.users["region_a"], scope="region:1085")
    assert selectors.user_import_roles(world.users["region_a"], region_run) == {
        Role.OWNER,
        Role.REGION,
    }
    assert selectors.user_import_roles(world.users["region_other"], region_run) == set()
