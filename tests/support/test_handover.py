"""The hand-over pack (★): a new coordinator's first page — the statutes, the last
minutes, the open actions, the bank balance, the open data orders and the courses —
read from the cluster's records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from klynge.dataorders.models import DataOrder, OrderStatus
from klynge.finance import ledger
from klynge.meetings.models import Action, Meeting
from klynge.support import services
from klynge.support.handover import handover_pack
from tests.world import PASSWORD, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def test_the_pack_reads_the_clusters_records(world, client):
    a = world.cluster_a
    meeting = Meeting.objects.create(
        cluster=a, title="Forårsmødet", starts=timezone.now() - dt.timedelta(days=10)
    )
    Action.objects.create(meeting=meeting, text="Send data til regionen")
    Action.objects.create(meeting=meeting, text="Lukket", status=Action.Status.DONE)
    DataOrder.objects.create(
        cluster=a,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        ordered_on=dt.date(2025, 1, 5),
        due=dt.date(2025, 2, 1),
    )
    DataOrder.objects.create(
        cluster=a,
        period_start=dt.date(2024, 1, 1),
        period_end=dt.date(2024, 12, 31),
        ordered_on=dt.date(2025, 1, 5),
        due=dt.date(2025, 2, 1),
        status=OrderStatus.DELIVERED,
    )
    ledger.expense_record(
        actor=None,
        cluster=a,
        date=a.founded,
        text="Mad",
        category="catering",
        amount=Decimal("400"),
    )
    course = services.course_create(actor=None, title="Facilitering")
    starts = timezone.now() + dt.timedelta(days=40)
    services.session_add(
        actor=None,
        course=course,
        starts=starts,
        ends=starts + dt.timedelta(hours=6),
        place="Kolding",
        seats=20,
    )
    services.course_create(actor=None, title="Uden hold")

    pack = handover_pack(cluster=a, on=timezone.localdate())
    assert pack.statutes is None or pack.statutes.cluster == a
    assert [x.text for x in pack.open_actions] == ["Send data til regionen"]
    assert len(pack.open_orders) == 1
    assert pack.bank_balance == Decimal("-400")
    assert [c.title for c, _s in pack.courses] == ["Facilitering"]

    assert client.login(email="koordinator@a.test", password=PASSWORD)
    page = client.get(reverse("support:handover", args=[a.slug]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Send data til regionen" in html and "Facilitering" in html
    client.logout()
    assert client.login(email="laege@a.test", password=PASSWORD)
    assert client.get(reverse("support:handover", args=[a.slug])).status_code == 404
