"""Addresses that last (issue 15): a renamed cluster's old address redirects to the new
one, so links in e-mails already sent, calendar entries and bookmarks keep working."""

from __future__ import annotations

import pytest
from django.urls import reverse

from klynge.registry import services
from klynge.registry.models import FormerSlug
from tests.world import PASSWORD, build_world


@pytest.fixture
def world(db):
    return build_world()


def _rename(world, name):
    return services.cluster_update(
        actor=world.users["coordinator_a"], cluster=world.cluster_a, name=name
    )


def test_the_old_address_of_every_cluster_page_redirects_to_the_new_one(world, client):
    old = world.cluster_a.slug
    _rename(world, "Køge Bugt-klyngen")
    assert world.cluster_a.slug == "koege-bugt-klyngen"
    assert client.login(email=world.users["coordinator_a"].email, password=PASSWORD)
    for name, extra in [
        ("registry:cluster.detail", {}),
        ("quality:cluster.indicator", {"code": "opioids"}),
        ("meetings:list", {}),
    ]:
        response = client.get(reverse(name, kwargs={"slug": old, **extra}) + "?aar=2024")
        assert response.status_code == 301, name
        assert response["Location"] == (
            reverse(name, kwargs={"slug": world.cluster_a.slug, **extra}) + "?aar=2024"
        )
        assert client.get(response["Location"]).status_code == 200


def test_two_renames_both_redirect_and_a_name_taken_back_is_the_clusters_again(world, client):
    first = world.cluster_a.slug
    _rename(world, "Køge Bugt-klyngen")
    second = world.cluster_a.slug
    _rename(world, "Stevns og Køge")
    for old in (first, second):
        response = client.get(reverse("registry:cluster.detail", args=[old]))
        assert response["Location"] == reverse("registry:cluster.detail", args=["stevns-og-koege"])
    _rename(world, "Køgeklyngen")
    assert world.cluster_a.slug == first
    assert set(FormerSlug.objects.values_list("slug", flat=True)) == {second, "stevns-og-koege"}
    assert client.get(reverse("registry:cluster.detail", args=[first])).status_code == 200


def test_a_new_cluster_does_not_take_a_former_address(world):
    old = world.cluster_a.slug
    _rename(world, "Køge Bugt-klyngen")
    assert services.cluster_slug("Køgeklyngen") == f"{old}-2"


def test_unknown_addresses_and_writes_are_not_redirected(world, client):
    old = world.cluster_a.slug
    _rename(world, "Køge Bugt-klyngen")
    assert client.get(reverse("registry:cluster.detail", args=["ingen-saadan"])).status_code == 404
    assert client.login(email=world.users["coordinator_a"].email, password=PASSWORD)
    response = client.post(reverse("registry:cluster.edit", args=[old]), {"name": "X"})
    assert response.status_code == 404
