"""The API's test world: the shared two-cluster world (tests/world.py) with grants due
and payouts recorded, and an API token per role."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from klynge.accounts.services import api_token_create
from tests.world import World, build_world

# A date before the 2027 reform: cluster A lies in Region Sjælland (1085), cluster B in
# Region Hovedstaden (1084); "region_a" serves Sjælland, "region_other" Hovedstaden.
ON = "2026-06-01"
SJAELLAND, HOVEDSTADEN, OSTDANMARK = 1085, 1084, 1086


def build_api_world() -> World:
    from klynge.finance import services
    from klynge.registry.models import Cluster

    world = build_world()
    Cluster.objects.filter(pk__in=[world.cluster_a.pk, world.cluster_b.pk]).update(
        registration_completed=dt.date(2019, 3, 15)
    )
    world.cluster_a.refresh_from_db()
    world.cluster_b.refresh_from_db()
    region_a = world.users["region_a"]
    first = services.payout_record(
        actor=region_a,
        cluster=world.cluster_a,
        year=2024,
        amount=Decimal("10000.50"),
        paid_on=dt.date(2024, 2, 1),
    )
    services.payout_reverse(actor=region_a, payout=first, on=dt.date(2024, 2, 5), reason="Fejl")
    services.payout_record(
        actor=region_a,
        cluster=world.cluster_a,
        year=2024,
        amount=Decimal("9000.00"),
        paid_on=dt.date(2024, 2, 6),
    )
    services.payout_record(
        actor=world.users["region_other"],
        cluster=world.cluster_b,
        year=2024,
        amount=Decimal("5000.00"),
        paid_on=dt.date(2024, 3, 1),
    )
    return world


@pytest.fixture
def world(db) -> World:
    return build_api_world()


def token(world: World, role: str) -> dict[str, str]:
    """The `Authorization` header of a fresh token for `role` (none for anonymous)."""
    user = world.users[role]
    if user is None:
        return {}
    _token, key = api_token_create(actor=None, user=user, name=f"test {role}")
    return {"Authorization": f"Token {key}"}
