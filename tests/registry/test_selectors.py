"""Registry reads "on a date" (REG-3, REG-5, REG-7): who was a member of which cluster
on a day, across a history of joining, leaving and moving; sizes from each clinic's
latest count; coverage shares; size advice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from klynge.registry import selectors, services
from klynge.registry.models import Membership, Region
from klynge.registry.selectors import ClusterSize
from tests.factories import (
    AARHUS,
    KOEGE,
    ROSKILDE,
    ClinicCountFactory,
    ClinicFactory,
    ClusterFactory,
    DoctorFactory,
    build_cluster,
    join_clinic,
    municipality,
)

pytestmark = pytest.mark.django_db

SJAELLAND, MIDTJYLLAND = 1085, 1082
D = dt.date


@pytest.fixture
def history():
    """Two clusters in Køge and Roskilde.

    * `stayer` is in A from its founding (2019-01-01), throughout.
    * `mover` is in A from 2019-01-01 and moves to B on 2021-01-01.
    * `late` joins A on 2020-06-01.
    * `leaver` is in A from 2019-01-01 and leaves on 2022-03-01.
    * `outsider` is never in a cluster.
    """
    a = ClusterFactory(name="Køgeklyngen", founded=D(2019, 1, 1))
    b = ClusterFactory(
        name="Roskildeklyngen", founded=D(2020, 1, 1), municipality=municipality(ROSKILDE)
    )
    clinics = {
        name: ClinicFactory(
            name=name, municipality=municipality(ROSKILDE if name == "mover" else KOEGE)
        )
        for name in ["stayer", "mover", "late", "leaver", "outsider"]
    }
    for clinic in clinics.values():
        DoctorFactory(clinic=clinic)
    join_clinic(cluster=a, clinic=clinics["stayer"], start=D(2019, 1, 1))
    join_clinic(cluster=a, clinic=clinics["mover"], start=D(2019, 1, 1))
    join_clinic(cluster=a, clinic=clinics["late"], start=D(2020, 6, 1))
    join_clinic(cluster=a, clinic=clinics["leaver"], start=D(2019, 1, 1))
    move = Membership.objects.get(clinic=clinics["mover"])
    services.membership_end(actor=None, membership=move, end=D(2021, 1, 1))
    join_clinic(cluster=b, clinic=clinics["mover"], start=D(2021, 1, 1))
    leave = Membership.objects.get(clinic=clinics["leaver"])
    services.membership_end(actor=None, membership=leave, end=D(2022, 3, 1))
    return a, b, clinics


def member_names(cluster, on):
    return sorted(m.clinic.name for m in selectors.cluster_memberships_on(cluster=cluster, on=on))


@pytest.mark.parametrize(
    ("on", "in_a", "in_b"),
    [
        (D(2018, 12, 31), [], []),
        (D(2019, 1, 1), ["leaver", "mover", "stayer"], []),
        (D(2020, 5, 31), ["leaver", "mover", "stayer"], []),
        (D(2020, 6, 1), ["late", "leaver", "mover", "stayer"], []),
        (D(2020, 12, 31), ["late", "leaver", "mover", "stayer"], []),
        (D(2021, 1, 1), ["late", "leaver", "stayer"], ["mover"]),
        (D(2022, 2, 28), ["late", "leaver", "stayer"], ["mover"]),
        (D(2022, 3, 1), ["late", "stayer"], ["mover"]),
        (D(2030, 1, 1), ["late", "stayer"], ["mover"]),
    ],
)
def test_members_of_cluster_on_date(history, on, in_a, in_b):
    a, b, _clinics = history
    assert member_names(a, on) == in_a
    assert member_names(b, on) == in_b


@pytest.mark.parametrize(
    ("clinic", "on", "expected"),
    [
        ("mover", D(2018, 12, 31), None),
        ("mover", D(2019, 1, 1), "Køgeklyngen"),
        ("mover", D(2020, 12, 31), "Køgeklyngen"),
        ("mover", D(2021, 1, 1), "Roskildeklyngen"),
        ("late", D(2020, 5, 31), None),
        ("late", D(2020, 6, 1), "Køgeklyngen"),
        ("leaver", D(2022, 2, 28), "Køgeklyngen"),
        ("leaver", D(2022, 3, 1), None),  # end is the first day no longer a member
        ("outsider", D(2021, 1, 1), None),
    ],
)
def test_cluster_of_clinic_on_date(history, clinic, on, expected):
    _a, _b, clinics = history
    found = selectors.clinic_cluster_on(clinic=clinics[clinic], on=on)
    assert (found.name if found else None) == expected


def test_participation_follows_the_clinic(history):
    a, b, clinics = history
    mover_doctor = clinics["mover"].doctors.get()

    def doctors(cluster, on):
        return {p.doctor for p in selectors.cluster_participations_on(cluster=cluster, on=on)}

    assert mover_doctor in doctors(a, D(2020, 12, 31))
    assert mover_doctor not in doctors(a, D(2021, 1, 1))
    assert mover_doctor in doctors(b, D(2021, 1, 1))
    assert len(doctors(a, D(2022, 3, 1))) == 2  # stayer and late


def test_time_framed_is_active_on_uses_exclusive_end(history):
    _a, _b, clinics = history
    left = Membership.objects.get(clinic=clinics["leaver"])
    assert left.is_active_on(D(2022, 2, 28))
    assert not left.is_active_on(D(2022, 3, 1))
    assert not left.is_active_on(D(2018, 12, 31))
    overlapping = Membership.objects.filter(clinic=clinics["mover"]).overlapping(
        D(2020, 12, 31), D(2021, 1, 2)
    )
    assert overlapping.count() == 2
    assert (
        Membership.objects.filter(clinic=clinics["mover"]).overlapping(D(2021, 1, 1), None).count()
        == 1
    )


def test_coordinator_on_date_across_a_hand_over():
    setup = build_cluster(clinics=2, doctors_per_clinic=1)
    first, second = setup.doctors
    services.role_assign(
        actor=None, cluster=setup.cluster, doctor=second, role="coordinator", start=D(2021, 9, 1)
    )
    assert selectors.cluster_coordinator_on(cluster=setup.cluster, on=D(2018, 12, 31)) is None
    assert selectors.cluster_coordinator_on(cluster=setup.cluster, on=D(2021, 8, 31)) == first
    assert selectors.cluster_coordinator_on(cluster=setup.cluster, on=D(2021, 9, 1)) == second


# --- Sizes ----------------------------------------------------------------------------------------


def test_cluster_sizes_use_each_clinics_latest_count_on_or_before_the_date():
    cluster = ClusterFactory(founded=D(2019, 1, 1))
    early, late, uncounted = ClinicFactory(), ClinicFactory(), ClinicFactory()
    for clinic in (early, late, uncounted):
        DoctorFactory.create_batch(2, clinic=clinic)
        join_clinic(cluster=cluster, clinic=clinic, start=D(2019, 1, 1))
    ClinicCountFactory(clinic=early, on=D(2019, 1, 1), capacities=2, listed_patients=3_000)
    ClinicCountFactory(clinic=early, on=D(2020, 1, 1), capacities=3, listed_patients=4_000)
    ClinicCountFactory(clinic=early, on=D(2021, 1, 1), capacities=4, listed_patients=5_000)
    ClinicCountFactory(clinic=late, on=D(2020, 7, 1), capacities=1, listed_patients=1_500)

    def size(on):
        return selectors.cluster_sizes(on=on)[cluster.pk]

    assert (size(D(2019, 6, 1)).capacities, size(D(2019, 6, 1)).listed_patients) == (2, 3_000)
    assert (size(D(2020, 1, 1)).capacities, size(D(2020, 1, 1)).listed_patients) == (3, 4_000)
    assert (size(D(2020, 6, 30)).capacities, size(D(2020, 6, 30)).listed_patients) == (3, 4_000)
    assert (size(D(2020, 7, 1)).capacities, size(D(2020, 7, 1)).listed_patients) == (4, 5_500)
    assert (size(D(2030, 1, 1)).capacities, size(D(2030, 1, 1)).listed_patients) == (5, 6_500)
    now = size(D(2030, 1, 1))
    assert (now.clinics, now.doctors) == (3, 6)
    assert sorted(now.provider_numbers) == sorted(
        c.provider_number for c in (early, late, uncounted)
    )


def test_cluster_sizes_follow_membership_history(history):
    a, b, clinics = history
    for name, patients in [
        ("stayer", 10_000),
        ("mover", 20_000),
        ("late", 30_000),
        ("leaver", 40_000),
    ]:
        ClinicCountFactory(
            clinic=clinics[name], on=D(2019, 1, 1), capacities=1, listed_patients=patients
        )

    before_move = selectors.cluster_sizes(on=D(2020, 12, 31))
    after_move = selectors.cluster_sizes(on=D(2021, 1, 1))
    after_leave = selectors.cluster_sizes(on=D(2022, 3, 1))

    assert before_move[a.pk].listed_patients == 100_000
    assert b.pk not in before_move
    assert (after_move[a.pk].listed_patients, after_move[b.pk].listed_patients) == (80_000, 20_000)
    assert (
        after_leave[a.pk].clinics,
        after_leave[a.pk].doctors,
        after_leave[a.pk].listed_patients,
    ) == (
        2,
        2,
        40_000,
    )
    only_b = selectors.cluster_sizes(on=D(2022, 3, 1), cluster_ids=[b.pk])
    assert list(only_b) == [b.pk]
    assert only_b[b.pk].provider_numbers == [clinics["mover"].provider_number]


def test_clinic_counts_on_ignores_later_counts():
    clinic = ClinicFactory()
    ClinicCountFactory(clinic=clinic, on=D(2024, 1, 1), capacities=3, listed_patients=4_800)
    assert selectors.clinic_counts_on(on=D(2023, 12, 31)) == {}
    assert selectors.clinic_counts_on(on=D(2024, 1, 1))[clinic.pk].listed_patients == 4_800


# --- Size advice (REG-5) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("patients", "doctors", "warned"),
    [
        (30_000, 16, []),
        (29_999, 16, ["patients"]),
        (30_000, 15, ["doctors"]),
        (17_000, 10, ["patients", "doctors"]),
        (110_000, 73, []),
    ],
)
def test_size_warnings_thresholds(patients, doctors, warned):
    with translation.override("en"):
        warnings = selectors.size_warnings(ClusterSize(listed_patients=patients, doctors=doctors))
    assert len(warnings) == len(warned)
    for text, kind in zip(warnings, warned, strict=True):
        assert kind in text


def test_size_warning_names_the_numbers_da():
    with translation.override("da"):
        patients, doctors = selectors.size_warnings(ClusterSize(listed_patients=17_000, doctors=10))
    assert "17.000" in patients and "30.000" in patients
    assert "10" in doctors and "16" in doctors


def test_size_warning_uses_the_pages_number_format_en():
    with translation.override("en"):
        (text,) = selectors.size_warnings(ClusterSize(listed_patients=29_999, doctors=16))
    assert "29,999" in text and "30,000" in text


def test_size_warnings_follow_settings(settings):
    settings.KLYNGE_MIN_PATIENTS_ADVICE = 10_000
    settings.KLYNGE_MIN_DOCTORS_ADVICE = 5
    assert selectors.size_warnings(ClusterSize(listed_patients=17_000, doctors=10)) == []
    assert len(selectors.size_warnings(ClusterSize(listed_patients=9_999, doctors=4))) == 2


def test_small_built_cluster_is_warned():
    setup = build_cluster(clinics=2, doctors_per_clinic=2, patients_per_doctor=1_600)
    size = selectors.cluster_sizes(on=D(2020, 1, 1))[setup.cluster.pk]
    assert (size.doctors, size.listed_patients) == (4, 6_400)
    assert len(selectors.size_warnings(size)) == 2


# --- Coverage (REG-7) -------------------------------------------------------------------------------


def test_coverage_shares_nationally_per_region_and_municipality(history):
    # One more clinic in Aarhus (Midtjylland), in no cluster, with two doctors.
    aarhus = ClinicFactory(name="aarhus", municipality=municipality(AARHUS))
    DoctorFactory.create_batch(2, clinic=aarhus)

    cov = selectors.coverage(on=D(2022, 3, 1))

    # 6 clinics (stayer, late, mover in clusters; leaver, outsider, aarhus not); 7 doctors.
    assert (cov.national.clinics, cov.national.clinics_in_cluster) == (6, 3)
    assert (cov.national.doctors, cov.national.doctors_in_cluster) == (7, 3)
    assert cov.national.clinic_share == pytest.approx(0.5)
    assert cov.national.doctor_share == pytest.approx(3 / 7)
    regions = {row.code: row for row in cov.regions}
    assert len(regions) == 5  # in force in 2022; Region Østdanmark (from 2027) is not
    assert Region.objects.count() == 6
    assert (regions[SJAELLAND].clinics, regions[SJAELLAND].clinics_in_cluster) == (5, 3)
    assert regions[SJAELLAND].clinic_share == pytest.approx(0.6)
    assert (regions[MIDTJYLLAND].clinics, regions[MIDTJYLLAND].clinic_share) == (1, 0.0)
    assert regions[1081].clinic_share is None  # no clinics in Nordjylland: no share
    muns = {row.code: row for row in cov.municipalities}
    assert len(muns) == 98
    assert (muns[KOEGE].clinics, muns[KOEGE].clinics_in_cluster) == (4, 2)
    assert (muns[ROSKILDE].clinics, muns[ROSKILDE].clinic_share) == (1, 1.0)
    assert [c.name for c in cov.unclustered] == ["aarhus", "leaver", "outsider"]
    assert [row.name for row in cov.municipalities] == sorted(
        row.name for row in cov.municipalities
    )


def test_coverage_on_an_earlier_date(history):
    cov = selectors.coverage(on=D(2020, 12, 31))
    assert (cov.national.clinics, cov.national.clinics_in_cluster) == (5, 4)
    assert [c.name for c in cov.unclustered] == ["outsider"]


def test_coverage_limited_to_a_region(history):
    ClinicFactory(name="aarhus", municipality=municipality(AARHUS))
    cov = selectors.coverage(on=D(2022, 3, 1), region=MIDTJYLLAND)
    assert {row.code for row in cov.municipalities} == {
        m.code for m in Region.objects.get(code=MIDTJYLLAND).municipalities.all()
    }
    assert [c.name for c in cov.unclustered] == ["aarhus"]
    assert cov.national.clinics == 6  # totals stay national
