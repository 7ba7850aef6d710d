"""The main pages cost a number of queries that grows with neither the cluster nor the
indicator library (issue 16.7): each page is counted on the test world, then the world
grows — six more member clinics with doctors, consent and data, and two more indicators
with data — and counted again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from klynge.quality.models import Consent, Indicator, IndicatorValue
from klynge.registry import services
from klynge.registry.models import Clinic, ClinicCount, Doctor, Municipality
from tests.world import FOUNDED, PASSWORD, World, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db) -> World:
    return build_world()


PAGES = [  # (role, URL name, its arguments: none, the cluster, the cluster and an indicator)
    ("secretariat", "registry:cluster.list", ""),
    ("coordinator_a", "core:home", ""),
    ("member_a", "core:home", ""),
    ("coordinator_a", "registry:cluster.detail", "cluster"),
    ("coordinator_a", "registry:cluster.members", "cluster"),
    ("coordinator_a", "quality:cluster.dashboard", "cluster"),
    ("member_a", "quality:cluster.dashboard", "cluster"),
    ("member_a", "quality:cluster.dashboard_csv", "cluster"),
    ("coordinator_a", "quality:cluster.indicator", "indicator"),
    ("member_a", "quality:cluster.indicator", "indicator"),
    ("member_a", "quality:cluster.funnel_json", "indicator"),
    ("member_a", "quality:cluster.run_json", "indicator"),
    ("coordinator_a", "meetings:list", "cluster"),
    ("board_a", "finance:books", "cluster"),
    ("region_a", "overviews:coverage", ""),
]


def _url(world, name: str, args: str) -> str:
    slug = world.cluster_a.slug
    return reverse(name, args={"": [], "cluster": [slug], "indicator": [slug, "opioids"]}[args])


def _count(client, world, role: str, name: str, args: str) -> int:
    client.logout()
    client.login(email=world.users[role].email, password=PASSWORD)
    cache.clear()
    url = _url(world, name, args)
    assert client.get(url).status_code == 200, url  # warm: sessions, caches of the day
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def _grow(world) -> None:
    """Six more clinics in cluster A, each with two doctors, consent and a year of data
    on three indicators, and two more indicators with data for every clinic."""
    municipality = Municipality.objects.get(code=259)
    opioids = Indicator.objects.get(code="opioids")
    more = list(Indicator.objects.filter(active=True).exclude(pk=opioids.pk).order_by("code")[:2])
    clinics = []
    for i in range(6):
        clinic = Clinic.objects.create(
            provider_number=f"40000{i}",
            name=f"Ny Klinik {i}",
            postal_code="4600",
            city="Køge",
            address="Nygade 1",
            municipality=municipality,
            latitude=55.4,
            longitude=12.1,
        )
        ClinicCount.objects.create(
            clinic=clinic, on=dt.date(2019, 1, 1), capacities=2, listed_patients=3200
        )
        services.membership_start(actor=None, cluster=world.cluster_a, clinic=clinic, start=FOUNDED)
        for j in range(2):
            doctor = Doctor.objects.create(clinic=clinic, name=f"Ny læge {i}.{j}")
            services.participation_start(
                actor=None, cluster=world.cluster_a, doctor=doctor, start=FOUNDED
            )
        Consent.objects.create(clinic=clinic, cluster=world.cluster_a, start=dt.date(2020, 1, 1))
        clinics.append(clinic)
    everyone = clinics + list(
        Clinic.objects.filter(
            pk__in=IndicatorValue.objects.filter(indicator=opioids).values("clinic_id")
        )
    )
    IndicatorValue.objects.bulk_create(
        IndicatorValue(
            clinic=clinic,
            indicator=indicator,
            period_kind="M",
            period=dt.date(2024, month, 1),
            numerator=10 + month,
            denominator=200 + i,
        )
        for indicator in [opioids, *more]
        for i, clinic in enumerate(everyone)
        for month in range(1, 13)
        if not (indicator == opioids and clinic not in clinics)
    )


def test_main_pages_cost_the_same_queries_for_a_bigger_cluster_and_more_indicators(world, client):
    before = {page: _count(client, world, *page) for page in PAGES}
    _grow(world)
    after = {page: _count(client, world, *page) for page in PAGES}
    grew = {
        f"{role} {name}": (before[(role, name, c)], after[(role, name, c)])
        for role, name, c in PAGES
        if after[(role, name, c)] > before[(role, name, c)]
    }
    print(
        "\nqueries per page:",
        {f"{r} {n}": (before[(r, n, c)], after[(r, n, c)]) for r, n, c in PAGES},
    )
    assert grew == {}, f"query counts grew with the cluster or the indicators: {grew}"


def test_the_start_page_costs_the_same_for_more_indicators_in_the_library(world, client):
    """The doctor's own-clinic section reads every active indicator's series: once for
    all of them, not once each (it cost a query per indicator)."""
    clinic = Clinic.objects.get(doctors__user=world.users["member_a"])
    template = Indicator.objects.get(code="opioids")

    def data_for(indicator: Indicator) -> None:
        IndicatorValue.objects.bulk_create(
            IndicatorValue(
                clinic=clinic,
                indicator=indicator,
                period_kind="M",
                period=dt.date(2024, month, 1),
                numerator=10 + month,
                denominator=200,
            )
            for month in range(1, 13)
        )

    if not IndicatorValue.objects.filter(clinic=clinic, indicator=template).exists():
        data_for(template)
    roles = ["member_a", "coordinator_a"]
    before = {role: _count(client, world, role, "core:home", "") for role in roles}
    for n in range(3):
        copy = Indicator.objects.get(pk=template.pk)
        copy.pk = None
        copy.code = f"opioids_copy_{n}"
        copy.save()
        data_for(copy)
    after = {role: _count(client, world, role, "core:home", "") for role in roles}
    assert after == before, f"queries of the start page (before, after): {before}, {after}"
