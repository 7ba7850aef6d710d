"""A clinic's dated accreditation status (REG-7): kept by the unit of the clinic's
region, shown in the list of clinics in no cluster and its CSV."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.registry.accreditation import clinic_accreditation_set
from klynge.registry.models import Accreditation, Clinic
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db
DAY = dt.date(2024, 3, 1)


@pytest.fixture
def world(db):
    return build_world()


def test_the_unit_records_a_dated_status_once_with_an_audit_entry(world):
    clinic = clinic_accreditation_set(
        actor=world.users["region_a"],
        clinic=world.free_clinic,
        status=Accreditation.ACCREDITED,
        as_of=DAY,
    )
    assert (clinic.accreditation, clinic.accreditation_date) == ("accredited", DAY)
    entry = AuditEntry.objects.get(action="registry.clinic.accreditation")
    assert entry.data["status"] == "accredited" and entry.data["previous"] == "unknown"
    # The same status again writes nothing; the history keeps the earlier one.
    clinic_accreditation_set(
        actor=world.users["region_a"], clinic=clinic, status="accredited", as_of=DAY
    )
    assert AuditEntry.objects.filter(action="registry.clinic.accreditation").count() == 1
    clinic_accreditation_set(
        actor=world.users["secretariat"], clinic=clinic, status="not_accredited", as_of=DAY
    )
    assert [h.accreditation for h in clinic.history.order_by("history_date")][-2:] == [
        "accredited",
        "not_accredited",
    ]


@pytest.mark.parametrize(
    ("status", "as_of"),
    [
        ("accredited", None),  # a known status needs its day
        ("gold", DAY),
        ("accredited", timezone.localdate() + dt.timedelta(days=1)),
    ],
)
def test_refusals(world, status, as_of):
    with pytest.raises(DomainError):
        clinic_accreditation_set(
            actor=world.users["region_a"], clinic=world.free_clinic, status=status, as_of=as_of
        )
    world.free_clinic.refresh_from_db()
    assert world.free_clinic.accreditation == "unknown"


def test_another_regions_unit_cannot(world):
    with pytest.raises(DomainError):
        clinic_accreditation_set(
            actor=world.users["region_other"],
            clinic=world.free_clinic,
            status="accredited",
            as_of=DAY,
        )


def test_an_unknown_status_may_go_undated_but_a_known_one_may_not_in_the_database(world):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Clinic.objects.filter(pk=world.free_clinic.pk).update(accreditation="accredited")


def test_the_list_and_its_csv_show_the_status_and_the_unit_changes_it(world, client):
    assert client.login(email="region@sjaelland.test", password=PASSWORD)
    url = reverse("overviews:clinic.accreditation", args=[world.free_clinic.pk])
    response = client.post(url, {"status": "accredited", "as_of": "01-03-2024"})
    assert response.status_code == 302
    assert response["Location"].endswith(f"#clinic-{world.free_clinic.pk}")
    html = client.get(reverse("overviews:coverage")).content.decode()
    assert 'data-accreditation="accredited"' in html
    assert url in html  # the unit's own clinic has the form
    body = client.get(reverse("overviews:coverage.unclustered_csv")).content.decode("utf-8-sig")
    header, row = body.splitlines()
    cells = row.split(";")
    assert cells[-1] == "2024-03-01" and cells[-2] in ("Akkrediteret", "Accredited")
    assert len(header.split(";")) == len(cells)
    # A refused change (no date) re-renders the list with the error and changes nothing.
    refused = client.post(url, {"status": "not_accredited", "as_of": ""})
    assert refused.status_code == 400
    world.free_clinic.refresh_from_db()
    assert world.free_clinic.accreditation == "accredited"


def test_another_regions_unit_gets_404_and_no_form(world, client):
    assert client.login(email="region@hovedstaden.test", password=PASSWORD)
    url = reverse("overviews:clinic.accreditation", args=[world.free_clinic.pk])
    assert client.post(url, {"status": "accredited", "as_of": "01-03-2024"}).status_code == 404
    world.free_clinic.refresh_from_db()
    assert world.free_clinic.accreditation == "unknown"
