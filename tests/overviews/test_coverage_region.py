"""The coverage page of a regional unit shows its own region's figures, and its list of
clinics in no cluster says whom to contact (FIN-2 / issue 14)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from klynge.registry.models import Doctor
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    world = build_world()
    Doctor.objects.filter(clinic=world.free_clinic).update(email="fri.klinik@example.test")
    return world


def test_a_unit_sees_its_regions_figures_not_the_nations(world, client):
    assert client.login(email="region@sjaelland.test", password=PASSWORD)
    page = client.get(reverse("overviews:coverage"))
    # Hand count, Region Sjælland: Køgeklyngen's 3 clinics × 2 doctors in a cluster, and
    # Fri Klinik (1 doctor) outside; the nation adds Hillerødklyngen's 2 × 2.
    headline = page.context["headline"]
    assert (headline.clinics, headline.clinics_in_cluster) == (4, 3)
    assert (headline.doctors, headline.doctors_in_cluster) == (7, 6)
    assert page.context["coverage"].national.doctors == 11
    html = page.content.decode()
    assert 'data-testid="region-doctor-share"' in html
    assert "national-doctor-share" not in html
    assert "Region Hovedstaden" not in html  # no other region's row
    [follow] = page.context["unclustered"]
    assert follow.clinic == world.free_clinic
    assert [d.name for d in follow.doctors] == ["Fri Klinik læge 1"]
    assert "mailto:fri.klinik@example.test" in html


def test_the_secretariat_still_sees_every_region(world, client):
    assert client.login(email="sekretariat@kiap.test", password=PASSWORD)
    page = client.get(reverse("overviews:coverage"))
    assert page.context["headline"] == page.context["coverage"].national
    html = page.content.decode()
    assert "Region Hovedstaden" in html and 'data-testid="national-doctor-share"' in html


def test_the_unclustered_csv_carries_the_doctors_and_their_e_mail(world, client):
    assert client.login(email="region@sjaelland.test", password=PASSWORD)
    body = client.get(reverse("overviews:coverage.unclustered_csv")).content.decode("utf-8-sig")
    header, row = body.splitlines()
    cells = row.split(";")
    assert cells[0] == "300001"
    assert cells[-5:-2] == ["1", "Fri Klinik læge 1", "fri.klinik@example.test"]
    assert len(header.split(";")) == len(cells)
