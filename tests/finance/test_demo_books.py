"""The demo's books: every grant payout carries its booking (payouts are the record of
what is paid), and the books balance."""

from __future__ import annotations

import pytest

from klynge.finance import ledger
from klynge.finance.demo import clear_books, generate_books
from klynge.finance.models import Payout
from tests.world import build_world

pytestmark = pytest.mark.django_db


def test_demo_payouts_have_their_bookings_and_clear_removes_them(db):
    from klynge.registry.models import Cluster

    world = build_world()
    Cluster.objects.filter(pk=world.cluster_a.pk).update(
        registration_completed=world.cluster_a.founded
    )
    generate_books(seed=1)
    assert Payout.objects.exists()
    assert not Payout.objects.filter(booking__isnull=True).exists()
    for payout in Payout.objects.select_related("booking"):
        assert payout.booking.date == payout.paid_on
    assert ledger.books_check() == []
    clear_books()
    assert not Payout.objects.exists()
