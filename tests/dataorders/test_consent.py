"""Consent to open data is asked once per clinic and purpose and reused by later orders
(issue 13, item 4 ★): an open-data order is delivered only when every member clinic has
consented to its purpose; a later order for the same purpose asks no one again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from klynge.core.errors import DomainError
from klynge.dataorders import selectors, services
from klynge.dataorders.models import GENERAL_PURPOSE, OrderStatus, PurposeConsent
from klynge.quality.models import Indicator
from tests.world import PASSWORD, build_world

TODAY = dt.date(2026, 12, 1)
DATA = (
    b"provider_number,indicator,period,numerator,denominator\n"
    b"100001,opioids,2026-10,12,210\n100002,opioids,2026-10,9,180\n"
)


@pytest.fixture
def world(db):
    return build_world()


def _order(world, **extra):
    fields = dict(
        actor=world.users["coordinator_a"],
        cluster=world.cluster_a,
        indicators=list(Indicator.objects.filter(code="opioids")),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 10, 31),
        anonymised=False,
        on=TODAY,
    )
    return services.order_create(**(fields | extra))


def _deliver(world, order):
    return services.order_deliver(
        actor=world.users["region_a"], order=order, data=DATA, filename="levering.csv"
    )


def test_open_data_waits_for_every_clinics_consent_given_once_per_purpose(world, client):
    order = _order(world)
    assert order.purpose == GENERAL_PURPOSE
    assert len(selectors.consent_missing(order, TODAY)) == 3
    with pytest.raises(DomainError, match="3 member clinics have not consented"):
        _deliver(world, order)
    # A doctor of another cluster does not consent for cluster A's clinics.
    with pytest.raises(DomainError, match="member clinic"):
        services.consent_give(
            actor=world.users["member_b"], cluster=world.cluster_a, purpose=GENERAL_PURPOSE
        )
    # One doctor per clinic consents, in the browser for the first.
    client.login(email="laege@a.test", password=PASSWORD)
    page = reverse("dataorders:consent", args=[world.cluster_a.slug])
    give = reverse("dataorders:consent.give", args=[world.cluster_a.slug])
    asked = f'name="purpose" value="{GENERAL_PURPOSE}"'
    assert asked in client.get(page).content.decode()
    assert client.post(give, {"purpose": GENERAL_PURPOSE}).status_code == 302
    assert client.post(give, {"purpose": "nsaid"}).status_code == 400  # nobody asks for it
    assert client.post(give, {"purpose": GENERAL_PURPOSE}).status_code == 400  # once
    assert asked not in client.get(page).content.decode()  # given: not asked again
    for role in ("coordinator_a", "board_a"):
        services.consent_give(
            actor=world.users[role], cluster=world.cluster_a, purpose=GENERAL_PURPOSE
        )
    assert selectors.consent_missing(order, TODAY) == []
    assert _deliver(world, order).status == OrderStatus.DELIVERED

    # A later order for the same purpose reuses the consent: nobody is asked again.
    later = _order(world, description="Et år mere")
    assert selectors.consent_missing(later, TODAY) == []
    assert PurposeConsent.objects.count() == 3
    # Another purpose is asked afresh; an anonymised order asks nothing.
    other = _order(world, to_secretariat=True)
    other.purpose = "nsaid"
    other.save(update_fields=["purpose"])
    assert len(selectors.consent_missing(other, TODAY)) == 3
    assert selectors.consent_missing(_order(world, anonymised=True), TODAY) == []


def test_a_package_order_asks_consent_for_the_packages_theme(world):
    from klynge.packages import services as packages
    from klynge.registry.models import Region

    version = packages.package_create(
        actor=world.users["region_a"],
        theme="NSAID",
        publisher=Region.objects.get(code=1085),
        title="NSAID til ældre",
    )
    order = _order(world, package=version)
    assert order.purpose == "nsaid"
    assert not _order(world, package=version, anonymised=True).purpose
