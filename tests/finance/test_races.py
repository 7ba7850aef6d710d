"""A double click whose first request has not committed yet: the second must not fail
with a server error (seen on SQLite in the browser test) but say what happened."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from unittest import mock

import pytest
from django.db import IntegrityError

from klynge.core.errors import DomainError
from klynge.finance import services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    from tests.world import build_world

    return build_world()


def test_a_racing_second_payout_submit_is_a_domain_error_not_a_500(world):
    with (
        mock.patch.object(services, "_payout_record", side_effect=IntegrityError("key")),
        pytest.raises(DomainError) as refused,
    ):
        services.payout_record(
            actor=None,
            cluster=world.cluster_a,
            year=2024,
            amount=Decimal("100"),
            paid_on=dt.date(2024, 3, 1),
            key=uuid.uuid4(),
        )
    assert "twice" in refused.value.message or "to gange" in refused.value.message
