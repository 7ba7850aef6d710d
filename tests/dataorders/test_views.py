"""The web path of a data order: the coordinator orders, the unit declines with a reason
that the coordinator reads on the order, the cluster's list and the start page; another
order is delivered as a file and shows up in the cluster's data."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from klynge.dataorders.models import DataOrder, OrderStatus
from klynge.quality.models import IndicatorValue
from tests.world import PASSWORD, build_world


@pytest.fixture
def world(db):
    return build_world()


def _login(client, world, role):
    assert client.login(email=world.users[role].email, password=PASSWORD)


def test_a_declined_order_says_why_to_the_coordinator(world, client):
    _login(client, world, "coordinator_a")
    response = client.post(
        reverse("dataorders:order.create", args=[world.cluster_a.slug]),
        {
            "description": "Antal CRP-målinger pr. klinik",
            "period_start": "2026-01-01",
            "period_end": "2026-10-31",
            "anonymised": "on",
        },
    )
    order = DataOrder.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "dataorders:detail", args=[order.pk]
    )
    client.logout()

    _login(client, world, "region_a")
    queue = client.get(reverse("dataorders:queue"))
    assert "Antal CRP-målinger" in queue.content.decode()
    refused = client.post(reverse("dataorders:order.decline", args=[order.pk]), {"reason": ""})
    assert refused.status_code == 400
    client.post(
        reverse("dataorders:order.decline", args=[order.pk]),
        {"reason": "Perioden er ikke dækket endnu."},
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.DECLINED
    client.logout()

    _login(client, world, "coordinator_a")
    page = client.get(reverse("dataorders:detail", args=[order.pk])).content.decode()
    assert "Perioden er ikke dækket endnu." in page
    listing = client.get(reverse("dataorders:list", args=[world.cluster_a.slug])).content.decode()
    assert "Perioden er ikke dækket endnu." in listing
    home = client.get(reverse("core:home")).content.decode()
    assert "Perioden er ikke dækket endnu." in home
    client.post(reverse("dataorders:order.seen", args=[order.pk]))
    assert "Perioden er ikke dækket endnu." not in client.get(reverse("core:home")).content.decode()


def test_another_region_cannot_handle_and_a_delivery_lands_as_the_clusters_data(world, client):
    from klynge.dataorders import services

    order = services.order_create(
        actor=None,
        cluster=world.cluster_a,
        description="NSAID",
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 10, 31),
    )
    _login(client, world, "region_other")
    assert client.post(reverse("dataorders:order.accept", args=[order.pk])).status_code == 404
    client.logout()
    _login(client, world, "region_a")
    data = b"provider_number,indicator,period,numerator,denominator\n100001,opioids,2026-10,7,150\n"
    response = client.post(
        reverse("dataorders:order.deliver", args=[order.pk]),
        {"file": SimpleUploadedFile("levering.csv", data, content_type="text/csv")},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert IndicatorValue.objects.filter(period=dt.date(2026, 10, 1), numerator=7).exists()
    client.logout()
    _login(client, world, "coordinator_a")
    page = client.get(reverse("dataorders:detail", args=[order.pk])).content.decode()
    assert reverse("quality:cluster.dashboard", args=[world.cluster_a.slug]) in page
