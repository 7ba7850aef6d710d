"""The jurisdiction seam proven with England's data pack (issue 12, item 5):
`generate_dataset --scale england-small` builds a register in NHS England's regions and
integrated care boards, with practice codes like A12345 and network codes like U12345,
and none of Denmark's geography; served under `KLYNGE_JURISDICTION=england` the pages
show pounds and say there is no map.

Like `test_demo_dataset.py`, the module builds the register once inside a transaction
that is rolled back at the end."""

from __future__ import annotations

import csv
import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from klynge.accounts.models import User
from klynge.demo import dataset, packs
from klynge.finance.models import GrantScheme
from klynge.registry.models import (
    AreaMember,
    Clinic,
    Cluster,
    Municipality,
    PostalCode,
    Region,
    RoleAssignment,
    RoleKind,
)
from tests.factories import rolled_back_dataset

pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("england-dataset")]

ENGLAND_DATA = packs.ENGLAND_DATA


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def england(django_db_setup, django_db_blocker, media):
    with rolled_back_dataset(
        django_db_blocker, media, "--scale", "england-small", "--seed", "1"
    ) as out:
        yield out


@pytest.fixture
def as_england(settings):
    settings.KLYNGE_JURISDICTION = "england"
    settings.LANGUAGE_CODE = "en"


def _csv(name: str) -> list[dict[str, str]]:
    with open(ENGLAND_DATA / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_pack_has_7_nhs_regions_and_42_boards_each_in_one_of_them():
    regions = {r["ons_code"] for r in _csv("nhs_regions.csv")}
    boards = _csv("integrated_care_boards.csv")
    assert len(regions) == 7 and all(re.fullmatch(r"E40\d{6}", c) for c in regions)
    assert len({b["ons_code"] for b in boards}) == 42
    assert all(re.fullmatch(r"E54\d{6}", b["ons_code"]) for b in boards)
    assert {b["nhs_region_ons_code"] for b in boards} == regions
    assert packs.ons_code(packs.ons_number("E54000008")) == "E54000008"
    with pytest.raises(ValueError):
        packs.ons_number("1084")


def test_no_danish_area_is_left_or_in_use(england):
    boards = {packs.ons_number(b["ons_code"]) for b in _csv("integrated_care_boards.csv")}
    regions = {packs.ons_number(r["ons_code"]) for r in _csv("nhs_regions.csv")}
    assert set(Region.objects.values_list("pk", flat=True)) == regions
    assert set(Municipality.objects.values_list("pk", flat=True)) == boards
    assert not PostalCode.objects.exists()
    assert set(Clinic.objects.values_list("municipality_id", flat=True)) <= boards
    assert set(Cluster.objects.values_list("municipality_id", flat=True)) <= boards
    # Every board in its NHS region, as the CSV says.
    members = {(m.municipality_id, m.area_id) for m in AreaMember.objects.all()}
    assert members == {
        (packs.ons_number(b["ons_code"]), packs.ons_number(b["nhs_region_ons_code"]))
        for b in _csv("integrated_care_boards.csv")
    }
    # Staff serve NHS regions, not Danish ones.
    staff_regions = set(
        User.objects.filter(region__isnull=False).values_list("region_id", flat=True)
    )
    assert staff_regions and staff_regions <= regions


def test_codes_names_and_places_are_englands(england):
    clinics = list(Clinic.objects.all())
    clusters = list(Cluster.objects.all())
    assert len(clusters) == dataset.SCALES["england-small"].clusters
    assert all(re.fullmatch(r"[A-Z]\d{5}", c.provider_number) for c in clinics)
    assert all(re.fullmatch(r"U\d{5}", c.cvr) for c in clusters)
    assert all(" PCN" in c.name and "klyngen" not in c.name for c in clusters)
    assert all(c.latitude is None and c.postal_code == "" for c in clinics)
    assert not any("Læge" in c.name for c in clinics)
    # A network's practices lie in its board (PCNs do not cross boards).
    for cluster in clusters:
        homes = {m.clinic.municipality_id for m in cluster.memberships.filter(end__isnull=True)}
        assert homes == {cluster.municipality_id}, cluster.name
    assert RoleAssignment.objects.filter(role=RoleKind.COORDINATOR).exists()


def test_the_illustrative_scheme_replaces_the_danish_one(england):
    names = list(GrantScheme.objects.values_list("name", flat=True))
    assert len(names) == 1 and names[0].startswith("Illustrative only")
    assert GrantScheme.objects.get().operating_rate == Decimal("1.50")


def test_overview_renders_in_pounds_without_a_map(england, as_england, client):
    response = client.get(reverse("registry:cluster.list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="no-map"' in html
    assert 'id="map-spec"' not in html
    assert "dk_kommuner" not in html
    assert "Integrated care board" in html  # the area layer's name, in English
    assert "Greater Manchester" in html or "Cheshire and Merseyside" in html


def test_coverage_and_grants_render_under_england(england, as_england, client):
    secretariat = User.objects.get(email=f"sekretariat@{dataset.DEMO_DOMAIN}")
    client.force_login(secretariat)
    coverage = client.get(reverse("overviews:coverage"))
    assert coverage.status_code == 200
    html = coverage.content.decode()
    assert "North West" in html or "Midlands" in html
    assert "Hovedstaden" not in html
    grants = client.get(reverse("finance:grants"), {"year": dt.date.today().year})
    assert grants.status_code == 200
    assert "£" in grants.content.decode()
    assert "kr." not in grants.content.decode()


def test_denmark_comes_back_after_england(england, media, settings):
    """`--replace` from England to Denmark restores the Danish geography (the bench
    builds both in one database)."""
    settings.MEDIA_ROOT = media
    dataset.clear()
    summary = dataset.generate(scale_name="sample", seed=1, with_users=False)
    assert summary.regions in (4, 5)
    assert Municipality.objects.count() == 98
    assert PostalCode.objects.exists()
    assert not Region.objects.filter(pk__gte=40_000_000).exists()
    assert all(re.fullmatch(r"\d{6}", c.provider_number) for c in Clinic.objects.all())
