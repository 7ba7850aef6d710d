"""A small, complete world for view and permission tests: two clusters in two regions
and one user for every role. Built through the services, like real data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile

from klynge.accounts.models import User
from klynge.registry import services
from klynge.registry.models import (
    Clinic,
    ClinicCount,
    Cluster,
    Doctor,
    Municipality,
    Region,
    RoleKind,
)
from klynge.registry.staff import staff_post_start

FOUNDED = dt.date(2019, 3, 1)
PASSWORD = "pw-for-tests"


@dataclass
class World:
    cluster_a: Cluster
    cluster_b: Cluster
    users: dict[str, User | None]
    clinics_a: list[Clinic]
    free_clinic: Clinic


def _clinic(number: str, name: str, municipality: int, postal: str, doctors: int) -> Clinic:
    clinic = Clinic.objects.create(
        provider_number=number,
        name=name,
        postal_code=postal,
        city="By",
        address="Algade 1",
        municipality=Municipality.objects.get(code=municipality),
        latitude=55.4,
        longitude=12.1,
    )
    ClinicCount.objects.create(
        clinic=clinic, on=dt.date(2019, 1, 1), capacities=doctors, listed_patients=1600 * doctors
    )
    for i in range(doctors):
        Doctor.objects.create(clinic=clinic, name=f"{name} læge {i + 1}")
    return clinic


def _user(email: str, **extra) -> User:
    return User.objects.create_user(email, PASSWORD, **extra)


def restore_migration_rows() -> None:
    """The rows the data migrations write (geography, the indicator library, the grant
    scheme): a transactional test before this one may have flushed them."""
    from klynge.finance.models import GrantScheme
    from klynge.finance.schemes import ensure_default_scheme
    from klynge.quality.library import indicator_library_sync
    from klynge.registry.geography import load_geography
    from klynge.registry.models import PostalCode

    load_geography(Region, Municipality, PostalCode)
    indicator_library_sync()
    ensure_default_scheme(GrantScheme)


def build_world() -> World:
    restore_migration_rows()
    clinics_a = [_clinic(f"10000{i}", f"Køge Lægehus {i}", 259, "4600", 2) for i in range(1, 4)]
    clinics_b = [_clinic(f"20000{i}", f"Hillerød Lægehus {i}", 219, "3400", 2) for i in range(1, 3)]
    free = _clinic("300001", "Fri Klinik", 259, "4600", 1)

    def cluster(name: str, municipality: int, clinics: list[Clinic], cvr: str) -> Cluster:
        coordinator = clinics[0].doctors.first()
        c = services.cluster_register(
            actor=None,
            name=name,
            municipality=Municipality.objects.get(code=municipality),
            founded=FOUNDED,
            registered=FOUNDED,
            cvr=cvr,
            bank_registration="1234",
            bank_account="1234567890",
            coordinator=coordinator,
        )
        for clinic in clinics[1:]:
            services.membership_start(actor=None, cluster=c, clinic=clinic, start=FOUNDED)
        for clinic in clinics:
            for doctor in clinic.doctors.all():
                if not doctor.participations.exists():
                    services.participation_start(
                        actor=None, cluster=c, doctor=doctor, start=FOUNDED
                    )
        return c

    a = cluster("Køgeklyngen", 259, clinics_a, "13585628")
    b = cluster("Hillerødklyngen", 219, clinics_b, "25313003")
    # The statutes are missing: the registration is incomplete, and no rules apply.
    services.cluster_document_upload(
        actor=None,
        cluster=a,
        kind="founding_minutes",
        upload=SimpleUploadedFile("m.pdf", b"%PDF-1.4 test"),
        max_bytes=10**6,
    )
    doctors_a = list(Doctor.objects.filter(clinic__in=clinics_a).order_by("id"))
    services.role_assign(
        actor=None, cluster=a, doctor=doctors_a[2], role=RoleKind.TREASURER, start=FOUNDED
    )

    def link(doctor: Doctor, email: str) -> User:
        user = _user(email)
        doctor.user = user
        doctor.save(update_fields=["user"])
        return user

    users: dict[str, User | None] = {
        "anonymous": None,
        "coordinator_a": link(doctors_a[0], "koordinator@a.test"),
        "board_a": link(doctors_a[2], "kasserer@a.test"),
        "member_a": link(doctors_a[4], "laege@a.test"),
        "member_b": link(Doctor.objects.filter(clinic=clinics_b[1]).first(), "laege@b.test"),
        "doctor_free": link(free.doctors.first(), "fri@c.test"),
        "region_a": _user("region@sjaelland.test", region=Region.objects.get(code=1085)),
        "region_other": _user("region@hovedstaden.test", region=Region.objects.get(code=1084)),
        "secretariat": _user("sekretariat@kiap.test", is_secretariat=True),
    }
    for key, code in (("region_a", 1085), ("region_other", 1084)):  # dated posts (REG-7)
        staff_post_start(
            actor=None, user=users[key], region=Region.objects.get(code=code), start=FOUNDED
        )
    _quality_data(clinics_a + clinics_b, users["coordinator_a"], a)
    return World(cluster_a=a, cluster_b=b, users=users, clinics_a=clinics_a, free_clinic=free)


def _quality_data(clinics: list[Clinic], importer: User, cluster: Cluster) -> None:
    """Twelve months of one indicator for every member clinic, every clinic consenting,
    and one import run by the coordinator of cluster A."""
    from klynge.quality.models import Consent, ImportRun, Indicator, IndicatorValue

    opioids = Indicator.objects.get(code="opioids")
    IndicatorValue.objects.bulk_create(
        IndicatorValue(
            clinic=clinic,
            indicator=opioids,
            period_kind="M",
            period=dt.date(2024, month, 1),
            numerator=10 + i + month,
            denominator=200 + 10 * i,
        )
        for i, clinic in enumerate(clinics)
        for month in range(1, 13)
    )
    from klynge.registry.models import Membership

    cluster_of = dict(
        Membership.objects.filter(clinic__in=clinics).values_list("clinic_id", "cluster_id")
    )
    Consent.objects.bulk_create(
        Consent(clinic=clinic, cluster_id=cluster_of[clinic.pk], start=dt.date(2020, 1, 1))
        for clinic in clinics
    )
    ImportRun.objects.create(
        actor=importer, scope=f"cluster:{cluster.pk}", filename="data.csv", status="succeeded"
    )


def quarterly_fee_2024(world: World, recipient: str):
    """A coordinator's fee with øre, paid once in 2024: 75 hours × 950 kr. a year paid
    quarterly is 17.812,50 kr."""
    from decimal import Decimal

    from klynge.finance import accounts

    coordinator = world.users["coordinator_a"]
    contract = accounts.contract_create(
        actor=coordinator,
        cluster=world.cluster_a,
        recipient=recipient,
        role="Koordinator",
        hourly_basis=Decimal("950"),
        start=dt.date(2024, 1, 1),
    )
    return accounts.fee_pay(actor=coordinator, contract=contract, paid_on=dt.date(2024, 3, 31))


def meeting_2024(world: World, title: str):
    """A cluster meeting of cluster A held on 10 April 2024, 16-18."""
    from django.utils import timezone

    from klynge.meetings.services import meeting_create

    return meeting_create(
        actor=world.users["coordinator_a"],
        cluster=world.cluster_a,
        title=title,
        starts=timezone.make_aware(dt.datetime(2024, 4, 10, 16)),
        ends=timezone.make_aware(dt.datetime(2024, 4, 10, 18)),
    )
