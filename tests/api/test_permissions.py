"""Every read endpoint × every role, with API tokens: the permission engine decides
(anonymous 401, a role without the permission 403 on a global endpoint and 404 on
another cluster's), and a regional unit reads only its own region on the date asked."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api.conftest import ON, token

pytestmark = pytest.mark.django_db

ROLES = [
    "anonymous",
    "member_a",
    "coordinator_a",
    "board_a",
    "member_b",  # a member of another cluster
    "doctor_free",
    "region_a",
    "region_other",  # regional staff of another region
    "secretariat",
]
PUBLIC = dict.fromkeys(ROLES, 200)
READERS_A = {"member_a", "coordinator_a", "board_a", "region_a", "secretariat"}
REGIONAL = {"region_a", "region_other", "secretariat"}


def cluster_rule(allowed: set[str]) -> dict[str, int]:
    return {r: 200 if r in allowed else 401 if r == "anonymous" else 404 for r in ROLES}


def global_rule(allowed: set[str]) -> dict[str, int]:
    return {r: 200 if r in allowed else 401 if r == "anonymous" else 403 for r in ROLES}


ENDPOINTS = {
    "api:clusters": (lambda w: None, PUBLIC),
    "api:cluster": (lambda w: {"ref": w.cluster_a.slug}, PUBLIC),
    "api:cluster.members": (lambda w: {"ref": w.cluster_a.slug}, cluster_rule(READERS_A)),
    "api:coverage": (lambda w: None, global_rule(REGIONAL)),
    "api:grants": (lambda w: None, global_rule(REGIONAL)),
    "api:payouts": (lambda w: None, global_rule(REGIONAL)),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_endpoint_answers_each_role_as_the_engine_says(world, client, role):
    headers = token(world, role)
    failures = []
    for name, (kwargs, expected) in ENDPOINTS.items():
        response = client.get(reverse(name, kwargs=kwargs(world)), {"on": ON}, headers=headers)
        if response.status_code != expected[role]:
            failures.append(f"{name}: {response.status_code}, expected {expected[role]}")
        elif response.status_code != 200:
            body = response.json()
            assert set(body) == {"detail", "code"}, body
            assert "Køge Lægehus" not in response.content.decode()
        if role == "anonymous" and response.status_code == 401:
            assert response["WWW-Authenticate"] == "Token"
    assert not failures, f"{role}:\n" + "\n".join(failures)


def test_the_session_of_the_web_login_is_honoured_too(world, client):
    from tests.world import PASSWORD

    assert client.login(email=world.users["member_b"].email, password=PASSWORD)
    url = reverse("api:cluster.members", args=[world.cluster_a.slug])
    assert client.get(url).status_code == 404
    url = reverse("api:cluster.members", args=[world.cluster_b.slug])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("role", "clusters"),
    [
        ("region_a", {"Køgeklyngen"}),
        ("region_other", {"Hillerødklyngen"}),
        ("secretariat", {"Køgeklyngen", "Hillerødklyngen"}),
    ],
)
def test_a_regional_unit_reads_its_own_region(world, client, role, clusters):
    headers = token(world, role)
    grants = client.get(reverse("api:grants"), {"on": ON, "year": 2024}, headers=headers)
    assert {r["cluster"]["name"] for r in grants.json()["results"]} == clusters
    payouts = client.get(reverse("api:payouts"), {"on": ON}, headers=headers)
    assert {r["cluster"]["name"] for r in payouts.json()["results"]} == clusters
    coverage = client.get(reverse("api:coverage"), {"on": ON}, headers=headers).json()
    municipalities = {m["name"] for m in coverage["municipalities"]}
    assert ("Køge" in municipalities) == ("Køgeklyngen" in clusters)
    assert ("Hillerød" in municipalities) == ("Hillerødklyngen" in clusters)


def test_after_the_reform_the_merged_units_read_both(world, client):
    """From 1 January 2027 Region Hovedstaden's and Region Sjælland's staff serve Region
    Østdanmark: asked as of a date in 2027, each unit reads both clusters."""
    for role in ("region_a", "region_other"):
        payouts = client.get(
            reverse("api:payouts"), {"on": "2027-03-01"}, headers=token(world, role)
        )
        assert {r["cluster"]["name"] for r in payouts.json()["results"]} == {
            "Køgeklyngen",
            "Hillerødklyngen",
        }


def test_a_revoked_token_reads_nothing(world, client):
    from klynge.accounts.models import ApiToken
    from klynge.accounts.services import api_token_revoke

    headers = token(world, "secretariat")
    api_token_revoke(actor=None, token=ApiToken.objects.get(user=world.users["secretariat"]))
    for name in ("api:coverage", "api:grants", "api:payouts", "api:clusters"):
        response = client.get(reverse(name), headers=headers)
        assert response.status_code == 401, name
        assert response.json()["code"] == "authentication_failed"
