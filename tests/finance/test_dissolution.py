"""Dissolution: the registry owns it (memberships, participation and roles end on the
date), finance reacts (returns the funds, closes the books for good)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from klynge.core.errors import DomainError
from klynge.core.models import AuditEntry
from klynge.finance import accounts, ledger, selectors
from klynge.registry.dissolution import cluster_dissolve
from klynge.registry.models import Cluster, Membership, Participation, RoleAssignment
from tests.world import build_world

pytestmark = pytest.mark.django_db

ON = dt.date(2024, 12, 31)


@pytest.fixture
def world(db):
    return build_world()


def test_dissolving_ends_every_membership_participation_and_role_on_the_date(world):
    """Before: finance set the dissolved date and ended no membership, so coverage still
    counted the clinics and they could not join another cluster."""
    cluster = world.cluster_a
    assert Membership.objects.active_on(ON - dt.timedelta(days=1)).filter(cluster=cluster)
    cluster_dissolve(actor=None, cluster=cluster, on=ON)
    for model in (Membership, Participation, RoleAssignment):
        assert not model.objects.filter(cluster=cluster).active_on(ON).exists()
        assert not model.objects.filter(cluster=cluster, end__isnull=True).exists()
    assert Membership.objects.active_on(ON - dt.timedelta(days=1)).filter(cluster=cluster)
    assert not Cluster.objects.active_on(ON).filter(pk=cluster.pk).exists()
    assert AuditEntry.objects.filter(action="registry.cluster.dissolved").count() == 1
    with pytest.raises(DomainError):
        cluster_dissolve(actor=None, cluster=cluster, on=ON)


def test_a_clinic_of_a_dissolved_cluster_can_join_another(world):
    from klynge.registry.services import membership_start

    clinic = Membership.objects.filter(cluster=world.cluster_a).first().clinic
    cluster_dissolve(actor=None, cluster=world.cluster_a, on=ON)
    membership_start(actor=None, cluster=world.cluster_b, clinic=clinic, start=ON)
    assert Membership.objects.active_on(ON).get(clinic=clinic).cluster == world.cluster_b


def test_dissolution_before_founding_is_refused(world):
    with pytest.raises(DomainError):
        cluster_dissolve(actor=None, cluster=world.cluster_a, on=world.cluster_a.founded)


def test_books_close_dissolves_returns_the_funds_and_the_region_sees_the_amount(world):
    cluster = world.cluster_a
    ledger.grant_received(actor=None, cluster=cluster, date=dt.date(2024, 1, 2), amount=1000)
    closure = accounts.books_close(actor=None, cluster=cluster, on=ON)
    assert closure.returned == Decimal("1000")
    assert not Membership.objects.filter(cluster=cluster).active_on(ON).exists()
    row = selectors.grant_row(cluster=cluster, year=2024)
    assert row is not None
    assert (row.returned, row.due) == (Decimal("1000.00"), 0)  # nothing offered any more


def test_a_failing_finance_step_leaves_the_registry_untouched(world):
    cluster = world.cluster_a
    ledger.expense_record(
        actor=None,
        cluster=cluster,
        date=dt.date(2024, 2, 1),
        text="Mad",
        category="catering",
        amount=Decimal("10"),
    )  # the bank is overdrawn
    with pytest.raises(DomainError, match=r"overdrawn|overtrukket"):
        accounts.books_close(actor=None, cluster=cluster, on=ON)
    cluster.refresh_from_db()
    assert cluster.dissolved is None
    assert Membership.objects.filter(cluster=cluster, end__isnull=True).exists()
