"""factory_boy factories for the registry and accounts, plus helpers that build a
cluster the way a coordinator would: through the services, so memberships,
participation, roles and audit entries are exactly what production code writes.

Regions, municipalities and postal codes are not factories: the data migration loads
the real Danish geography, so tests use `municipality(259)` (Køge) and friends.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import factory
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils.text import slugify

from klynge.accounts.models import User
from klynge.registry import services
from klynge.registry.models import (
    Clinic,
    ClinicCount,
    Cluster,
    Doctor,
    Municipality,
    PostalCode,
)

KOEGE = 259
ROSKILDE = 265
AARHUS = 751
KOEBENHAVN = 101

DEFAULT_FOUNDED = dt.date(2019, 1, 1)


def municipality(code: int = KOEGE) -> Municipality:
    return Municipality.objects.get(code=code)


def postal_area(mun: Municipality) -> PostalCode:
    """The first real postal area of `mun` (deterministic, so failures reproduce)."""
    return PostalCode.objects.filter(municipality=mun).order_by("code_from").first()


class UserFactory(factory.django.DjangoModelFactory):
    """An e-mail login whose password is "pw"."""

    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    name = factory.Sequence(lambda n: f"Bruger {n}")
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        # set_password only hashes; store the hash (without factory_boy's deprecated
        # implicit second save).
        if create and results:
            instance.save(update_fields=["password"])


class ClinicFactory(factory.django.DjangoModelFactory):
    """A clinic with a unique 6-digit provider number, placed at a real postal area of
    its municipality (postal code, city and map position agree)."""

    class Meta:
        model = Clinic

    class Params:
        area = factory.LazyAttribute(lambda o: postal_area(o.municipality))

    provider_number = factory.Sequence(lambda n: f"{n % 999_999 + 1:06d}")
    name = factory.Sequence(lambda n: f"Lægehuset {n}")
    address = factory.Sequence(lambda n: f"Torvet {n % 120 + 1}")
    municipality = factory.LazyFunction(lambda: municipality(KOEGE))
    postal_code = factory.LazyAttribute(lambda o: f"{o.area.code_from:04d}")
    city = factory.LazyAttribute(lambda o: o.area.name)
    latitude = factory.LazyAttribute(lambda o: o.area.latitude)
    longitude = factory.LazyAttribute(lambda o: o.area.longitude)


class ClinicCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicCount

    clinic = factory.SubFactory(ClinicFactory)
    on = dt.date(2019, 1, 1)
    capacities = 2
    listed_patients = 3_200


class DoctorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Doctor

    name = factory.Sequence(lambda n: f"Læge Nummer {n}")
    email = factory.Sequence(lambda n: f"laege{n}@example.test")
    clinic = factory.SubFactory(ClinicFactory)


class ClusterFactory(factory.django.DjangoModelFactory):
    """A bare cluster row (no members). Use `build_cluster` for one with members."""

    class Meta:
        model = Cluster

    name = factory.Sequence(lambda n: f"Testklyngen {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    municipality = factory.LazyFunction(lambda: municipality(KOEGE))
    founded = DEFAULT_FOUNDED
    registered = factory.LazyAttribute(lambda o: o.founded + dt.timedelta(days=10))


@dataclass
class ClusterSetup:
    cluster: Cluster
    coordinator: Doctor
    clinics: list[Clinic] = field(default_factory=list)
    doctors: list[Doctor] = field(default_factory=list)  # every participating doctor


def build_cluster(
    *,
    name: str | None = None,
    clinics: int = 2,
    doctors_per_clinic: int = 2,
    founded: dt.date = DEFAULT_FOUNDED,
    mun: Municipality | None = None,
    actor: User | None = None,
    count_on: dt.date | None = DEFAULT_FOUNDED,
    patients_per_doctor: int = 1_600,
    **register_kwargs,
) -> ClusterSetup:
    """A cluster registered by its coordinator through `services.cluster_register`,
    with `clinics` member clinics of `doctors_per_clinic` participating doctors each,
    all from the founding date. Each clinic gets a count on `count_on` (None: none)."""
    mun = mun or municipality(KOEGE)
    made = [ClinicFactory(municipality=mun) for _ in range(clinics)]
    staff = {c.pk: DoctorFactory.create_batch(doctors_per_clinic, clinic=c) for c in made}
    if count_on is not None:
        for clinic in made:
            ClinicCountFactory(
                clinic=clinic,
                on=count_on,
                capacities=doctors_per_clinic,
                listed_patients=doctors_per_clinic * patients_per_doctor,
            )
    coordinator = staff[made[0].pk][0]
    cluster = services.cluster_register(
        actor=actor,
        name=name or f"Klyngen {made[0].provider_number}",
        municipality=mun,
        founded=founded,
        registered=founded + dt.timedelta(days=10),
        coordinator=coordinator,
        **register_kwargs,
    )
    for clinic in made[1:]:
        services.membership_start(actor=actor, cluster=cluster, clinic=clinic, start=founded)
    for clinic in made:
        for doctor in staff[clinic.pk]:
            if doctor != coordinator:
                services.participation_start(
                    actor=actor, cluster=cluster, doctor=doctor, start=founded
                )
    return ClusterSetup(
        cluster=cluster,
        coordinator=coordinator,
        clinics=made,
        doctors=[d for c in made for d in staff[c.pk]],
    )


def join_clinic(
    *, cluster: Cluster, clinic: Clinic, start: dt.date, actor: User | None = None
) -> list[Doctor]:
    """Add `clinic` and all its doctors to `cluster` from `start` (through the services)."""
    services.membership_start(actor=actor, cluster=cluster, clinic=clinic, start=start)
    doctors = list(clinic.doctors.order_by("id"))
    for doctor in doctors:
        services.participation_start(actor=actor, cluster=cluster, doctor=doctor, start=start)
    return doctors


@contextmanager
def rolled_back_dataset(django_db_blocker, media_root: Path, *args: str) -> Iterator[str]:
    """Run `generate_dataset --scale denmark *args` for a module- or class-scoped
    fixture and yield its output; everything is rolled back afterwards.

    The data lives in a transaction that is never committed; pytest-django runs each
    test in a savepoint inside it. The suite's function-scoped settings
    (tests/conftest.py) are not active at that scope, so the fast password hasher and
    a temporary MEDIA_ROOT are set here: the dataset writes demo PDFs to storage and
    must never write into the developer's `data/media`.
    """
    suite = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"], MEDIA_ROOT=media_root
    )
    with django_db_blocker.unblock(), suite, transaction.atomic():
        out = io.StringIO()
        call_command("generate_dataset", "--scale", "denmark", "--no-indicators", *args, stdout=out)
        try:
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
