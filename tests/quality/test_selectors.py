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
from hypothesis import given
from hypothesis import strategies as st

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
from klynge.quality.release import protect

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


# The world's opioid counts, October-December 2024: clinic i has numerator 10 + i + month
# and denominator 200 + 10i each month. Exact sums (the entitled see these) and sums of
# protected cells (everyone else).
WORLD_SUMS = {i: (63 + 3 * i, 600 + 30 * i) for i in range(5)}


def psum(i: int) -> tuple[int, int]:
    return (
        sum(protect(10 + i + m) for m in (10, 11, 12)),
        3 * protect(200 + 10 * i),
    )


def published(n: int, d: int) -> float | None:
    """A pseudonym's value as published: two significant digits."""
    return float(f"{n / d:.2g}") if d else None


@pytest.mark.parametrize(
    ("language", "own_label", "other"),
    [("da", "Din klinik", "Klinik"), ("en", "Your clinic", "Clinic")],
)
def test_a_member_sees_their_own_clinic_exactly_and_pseudonyms_with_protected_counts(
    world, opioids, language, own_label, other, settings
):
    settings.KLYNGE_MIN_CLINICS = 2  # the world's cluster has three clinics
    with translation.override(language):
        result = bench(world, "member_a", opioids)
    assert not result.identified
    own, *others = result.points
    assert own.own and own.label == own_label
    assert (own.numerator, own.denominator) == WORLD_SUMS[2]  # member_a works at clinic 3
    assert own.value == pytest.approx(69 / 660) and not own.hidden
    assert len(others) == 2
    assert all(re.fullmatch(rf"{other} [A-Z]", p.label) and not p.own for p in others)
    assert len({p.label for p in others}) == 2
    # No count of their own: the value (protected, three digits) at the mean size of
    # their size class (here both, the class of the two other clinics).
    assert all(p.size_class and p.numerator is None for p in others)
    assert sorted(p.value for p in others) == sorted([published(*psum(0)), published(*psum(1))])
    assert {p.denominator for p in others} == {round((psum(0)[1] + psum(1)[1]) / 2)}
    names = {c.name for c in world.clinics_a} | {c.provider_number for c in world.clinics_a}
    assert not names & {p.label for p in result.points}
    assert result.presentation == Presentation.ANONYMISED
    assert (result.first, result.last) == (dt.date(2024, 10, 1), DECEMBER)


def test_those_who_upload_the_data_see_names_and_exact_counts(world, opioids):
    for viewer in ("secretariat", "region_a", "coordinator_a"):
        result = bench(world, viewer, opioids)
        assert result.identified, viewer
        labels = {p.label: (p.numerator, p.denominator) for p in result.points if not p.own}
        assert {world.clinics_a[i].name: WORLD_SUMS[i] for i in range(3)}.items() >= labels.items()


def test_a_board_member_or_an_outsider_sees_only_pseudonyms_and_protected_counts(
    world, opioids, settings
):
    settings.KLYNGE_MIN_CLINICS = 2
    for viewer in ("board_a", "member_b", "region_other"):
        result = bench(world, viewer, opioids)
        assert not result.identified and result.size_classes, viewer
        others = [p for p in result.points if not p.own]
        names = {c.name for c in world.clinics_a}
        assert not names & {p.label for p in others}
        assert others and all(p.numerator is None and not p.hidden for p in others)
        assert {p.value for p in others} <= {published(*psum(i)) for i in range(3)}


def test_the_cluster_value_is_a_sum_of_protected_cells(world, opioids):
    result = bench(world, "member_a", opioids)
    n = sum(psum(i)[0] for i in range(3))
    d = sum(psum(i)[1] for i in range(3))
    assert (result.cluster_level.numerator, result.cluster_level.denominator) == (n, d)
    assert result.cluster_level.value == pytest.approx(n / d)
    assert result.cluster_level.label == world.cluster_a.name
    staff = bench(world, "secretariat", opioids)
    assert staff.cluster_level.numerator == sum(WORLD_SUMS[i][0] for i in range(3))


def test_comparators_are_withheld_when_they_hold_too_few_clinics_beyond_the_cluster(
    world, opioids, settings
):
    # The world's nation is the five clinics of clusters A and B: two beyond cluster A.
    result = bench(world, "member_a", opioids)
    assert result.nation_level.withheld and result.nation_level.value is None
    assert (result.nation_level.reported, result.nation_level.expected) == (5, 6)  # + a free clinic
    assert result.region_level.withheld  # Sjælland holds cluster A alone
    settings.KLYNGE_COMPARATOR_MIN_REST = 2
    result = bench(world, "member_a", opioids)
    assert not result.nation_level.withheld
    assert (result.nation_level.numerator, result.nation_level.denominator) == (
        sum(psum(i)[0] for i in range(5)),
        sum(psum(i)[1] for i in range(5)),
    )
    assert result.region_level.withheld  # still nothing beyond the cluster


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
        result = bench(world, "member_b", opioids, on=on, salt=salt)
        return {p.label: p.value for p in result.points}

    assert who_is_who() == who_is_who()  # stable within a day
    days = [who_is_who(on=ON + dt.timedelta(days=k)) for k in range(8)]
    assert len({tuple(sorted(d.items())) for d in days}) > 1
    salts = [who_is_who(salt=f"meeting-{k}") for k in range(8)]
    assert len({tuple(sorted(d.items())) for d in salts}) > 1


def test_a_revoked_clinic_is_never_shown_again_but_past_months_keep_their_totals(
    world, opioids, settings
):
    settings.KLYNGE_MIN_CLINICS = 2  # the world's cluster has three clinics
    autumn = dict(last=dt.date(2024, 11, 1), months=2)
    before = bench(world, "member_b", opioids)
    autumn_before = bench(world, "member_b", opioids, **autumn).cluster_level
    services.consent_revoke(
        actor=None, clinic=world.clinics_a[1], cluster=world.cluster_a, end=dt.date(2024, 12, 15)
    )
    after = bench(world, "member_b", opioids)
    # One withdrawn clinic in the window: no clinic is shown as a point at all.
    assert after.points_withheld and after.points == []
    # October and November keep clinic 2 (consent in force on their last day);
    # December does not.
    december_cell = protect(10 + 1 + 12), protect(200 + 10)
    assert after.cluster_level.numerator == before.cluster_level.numerator - december_cell[0]
    assert after.cluster_level.denominator == before.cluster_level.denominator - december_cell[1]
    # A window of the months it took part in is unchanged: nothing to difference.
    assert bench(world, "member_b", opioids, **autumn).cluster_level == autumn_before


def test_the_viewers_own_clinic_without_consent_is_shown_to_them_but_not_counted(world, opioids):
    Consent.objects.filter(clinic=world.clinics_a[2]).delete()
    result = bench(world, "member_a", opioids)
    assert result.own_without_consent
    own = [p for p in result.points if p.own]
    assert len(own) == 1 and own[0].numerator == 69
    # Two clinics contribute: fewer than KLYNGE_MIN_CLINICS, so the cluster is withheld.
    assert result.cluster_level.withheld
    assert len(bench(world, "secretariat", opioids).points) == 2


def test_small_published_counts_are_hidden(world, settings):
    settings.KLYNGE_MIN_CLINICS = 2
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    c1, c2, c3 = world.clinics_a
    put(c1, nsaid, 2, 100)  # published 3/99: small
    put(c2, nsaid, 30, 200)  # published 27/201
    put(c3, nsaid, 20, 300)  # member_a's own clinic

    member = bench(world, "member_a", nsaid, last=JUNE, months=1)
    own = next(p for p in member.points if p.own)
    assert (own.numerator, own.denominator, own.hidden) == (20, 300, False)
    # 3/99 is small; 27/201 would stand alone in its size class: both hidden.
    others = [p for p in member.points if not p.own]
    assert len(others) == 2
    assert all(p.hidden and p.numerator is p.value is None for p in others)
    assert (member.cluster_level.numerator, member.cluster_level.denominator) == (51, 597)
    outsider = bench(world, "member_b", nsaid, last=JUNE, months=1)
    shown = sorted((p for p in outsider.points if not p.hidden), key=lambda p: p.value)
    assert [p.value for p in shown] == [published(21, 297), published(27, 201)]
    assert {p.denominator for p in shown} == {249}  # the class's mean of 201 and 297
    assert sum(p.hidden for p in outsider.points) == 1

    staff = bench(world, "secretariat", nsaid, last=JUNE, months=1)
    assert sorted((p.numerator, p.denominator) for p in staff.points) == [
        (2, 100),
        (20, 300),
        (30, 200),
    ]


@pytest.mark.parametrize(
    ("n", "d", "hidden"),
    [
        (0, 100, False),
        (1, 100, True),
        (4, 100, True),
        (6, 100, True),  # published as 3, like 1-5: the hiding depends on what is published
        (7, 100, False),
        (98, 100, True),  # published 99/99: "all", with a complement of 0-5
        (96, 100, False),  # published 93/99
        (0, 4, True),  # denominator below 5
        (0, 0, False),
    ],
)
def test_suppression_is_decided_on_the_published_counts(world, n, d, hidden, settings):
    settings.KLYNGE_MIN_CLINICS = 2
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    c1, c2, c3 = world.clinics_a
    put(c1, nsaid, n, d)
    put(c2, nsaid, 50, 500)
    put(c3, nsaid, 60, 600)
    result = bench(world, "member_b", nsaid, last=JUNE, months=1)
    value = published(protect(n), protect(d))
    visible = [p.value for p in result.points if not p.hidden]
    assert sum(p.hidden for p in result.points) == int(hidden)
    assert len(visible) == 3 - hidden and (value in visible or hidden)
    assert result.cluster_level.numerator == protect(n) + protect(50) + protect(60)


def test_a_rate_is_not_hidden_for_its_complement(world):
    crp = Indicator.objects.get(code="crp_tests")
    for clinic, (n, d) in zip(world.clinics_a, [(398, 400), (500, 400), (300, 400)], strict=True):
        put(clinic, crp, n, d)
    result = bench(world, "member_b", crp, last=JUNE, months=1)
    assert not any(p.hidden for p in result.points)
    assert result.cluster_level.value == pytest.approx(
        (protect(398) + protect(500) + protect(300)) / (3 * protect(400))
    )


def test_the_cluster_is_withheld_when_too_few_clinics_reported(world):
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    c1, c2, _c3 = world.clinics_a
    put(c1, nsaid, 10, 100)
    put(c2, nsaid, 20, 100)  # two of three clinics reported for June
    result = bench(world, "member_b", nsaid, last=JUNE, months=1)
    assert result.cluster_level.withheld and result.cluster_level.value is None
    assert (result.cluster_level.reported, result.cluster_level.expected) == (2, 3)
    staff = bench(world, "secretariat", nsaid, last=JUNE, months=1)
    assert staff.cluster_level.numerator == 30


def test_open_presentation_names_clinics_only_when_every_member_consents(world, opioids):
    coordinator = world.users["coordinator_a"]
    services.presentation_set(
        actor=coordinator, cluster=world.cluster_a, presentation=Presentation.OPEN, on=ON
    )
    result = bench(world, "member_a", opioids)
    assert result.presentation == "open"
    labels = {p.label: p.numerator for p in result.points if not p.own}
    assert labels == {world.clinics_a[0].name: psum(0)[0], world.clinics_a[1].name: psum(1)[0]}

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


def test_the_cluster_trend_counts_dated_contributors_and_hides_thin_months(world):
    nsaid = Indicator.objects.get(code="nsaid_elderly")
    c1, c2, c3 = world.clinics_a
    for month in range(1, 7):
        put(c1, nsaid, 10 * month, 100, period=dt.date(2024, month, 1))
        put(c2, nsaid, 5, 100, period=dt.date(2024, month, 1))
        put(c3, nsaid, 7, 70, period=dt.date(2024, month, 1))
    put(c3, nsaid, 3, 10, period=dt.date(2024, 7, 1))  # the only value in July
    Consent.objects.filter(clinic=c2).update(start=dt.date(2024, 4, 1))  # consents in April

    def trend(identified):
        return selectors.cluster_trend(
            cluster=world.cluster_a,
            indicator=nsaid,
            first=dt.date(2024, 1, 1),
            last=dt.date(2024, 8, 1),
            identified=identified,
        )

    exact = trend(True)
    assert exact.series.numerators == [17, 27, 37, 52, 62, 72, 3, 0]
    assert exact.series.reported == [2, 2, 2, 3, 3, 3, 1, 0]
    assert exact.hidden_months == [dt.date(2024, 8, 1)]
    protected = trend(False)
    assert protected.series.numerators[3] == protect(40) + protect(5) + protect(7)
    # Months with fewer than three clinics are hidden from everyone else.
    shown = [m.month for m in protected.series.months if m not in protected.hidden_months]
    assert shown == [4, 5, 6]
    assert protected.series.values[6] is None


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


# --- Size classes -------------------------------------------------------------------------------


def test_a_size_class_too_small_to_hide_in_joins_its_smaller_neighbour(settings):
    settings.KLYNGE_MIN_CLINICS = 3
    classes = [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    # Clinic 2 and 3 hidden: clinic 1 would stand alone, so its class joins the next.
    sizes = selectors.class_sizes(
        {1: 100, 4: 200, 5: 220, 6: 240, 7: 900, 8: 950, 9: 1000}, classes
    )
    assert sizes[1] == sizes[4] == sizes[5] == sizes[6] == round((100 + 200 + 220 + 240) / 4)
    assert sizes[7] == sizes[8] == sizes[9] == 950
    # A clinic outside every class (it has left since) is a class of its own: it joins too.
    sizes = selectors.class_sizes({1: 100, 2: 110, 3: 120, 99: 5000}, classes)
    assert set(sizes.values()) == {round((100 + 110 + 120 + 5000) / 4)}
    # Too few to hide in at all: no sizes, and the points are hidden.
    assert selectors.class_sizes({1: 100, 4: 200}, classes) == {}


@given(
    denominators=st.dictionaries(st.integers(0, 40), st.integers(0, 5000), max_size=30),
    k=st.integers(2, 5),
    cut=st.lists(st.integers(1, 6), max_size=10),
)
def test_every_published_size_is_shared_by_at_least_k_clinics(denominators, k, cut):
    """Whatever is hidden and however the day's classes fall, a size that is published
    stands beside at least k pseudonyms: no clinic is placed more finely than k."""
    from django.test import override_settings

    ids = list(range(41))
    classes, start = [], 0
    for width in cut:
        classes.append(ids[start : start + width])
        start += width
    classes = [c for c in classes if c]
    with override_settings(KLYNGE_MIN_CLINICS=k):
        sizes = selectors.class_sizes(denominators, classes)
    assert sizes == {} or set(sizes) == set(denominators)
    counts: dict[int, int] = {}
    for size in sizes.values():
        counts[size] = counts.get(size, 0) + 1
    assert all(n >= k for n in counts.values())
