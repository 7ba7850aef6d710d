"""Data orders: placing, handling by the addressed unit only, declining with a reason the
coordinator sees, delivery through the import checks, and the unit's queue."""

from __future__ import annotations

import datetime as dt

import pytest

from klynge.core.errors import DomainError
from klynge.dataorders import selectors, services
from klynge.dataorders.models import DataOrder, OrderStatus
from klynge.quality.models import ImportRun, ImportStatus, Indicator, IndicatorValue
from klynge.registry.models import Region
from tests.world import build_world

TODAY = dt.date(2026, 12, 1)
HEADER = "provider_number,indicator,period,numerator,denominator\n"


@pytest.fixture
def world(db):
    return build_world()


def _order(world, cluster=None, **extra) -> DataOrder:
    defaults = dict(
        actor=world.users["coordinator_a"],
        cluster=cluster or world.cluster_a,
        indicators=list(Indicator.objects.filter(code="opioids")),
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 10, 31),
        on=TODAY,
    )
    return services.order_create(**(defaults | extra))


def test_a_free_form_order_goes_to_the_clusters_region_due_in_20_working_days(world):
    order = _order(world)
    assert order.recipient == Region.objects.get(code=1085)
    # 20 working days from Tuesday 1 December 2026: juledag, 2. juledag (a Saturday)
    # and nytårsdag are skipped; juleaften counts.
    assert order.due == dt.date(2026, 12, 30)
    assert order.status == OrderStatus.ORDERED


def test_an_order_needs_indicators_or_a_description_and_a_sane_period(world):
    with pytest.raises(DomainError, match="indicators or describe"):
        _order(world, indicators=[])
    with pytest.raises(DomainError, match="ends before"):
        _order(world, period_end=dt.date(2025, 1, 1))
    assert _order(world, indicators=[], description="Antal CRP-målinger").description


def test_only_the_addressed_unit_handles_the_order(world):
    order = _order(world)
    with pytest.raises(DomainError, match="another unit"):
        services.order_accept(actor=world.users["region_other"], order=order)
    with pytest.raises(DomainError, match="another unit"):
        services.order_accept(actor=world.users["coordinator_a"], order=order)
    services.order_accept(actor=world.users["region_a"], order=order)
    to_secretariat = _order(world, to_secretariat=True)
    assert to_secretariat.recipient is None
    with pytest.raises(DomainError, match="another unit"):
        services.order_accept(actor=world.users["region_a"], order=to_secretariat)
    services.order_accept(actor=world.users["secretariat"], order=to_secretariat)


def test_a_declined_order_keeps_its_reason_for_the_coordinator(world):
    order = _order(world)
    with pytest.raises(DomainError, match="why"):
        services.order_decline(actor=world.users["region_a"], order=order, reason="  ")
    services.order_decline(
        actor=world.users["region_a"], order=order, reason="Perioden er ikke dækket endnu."
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.DECLINED
    assert order.decline_reason == "Perioden er ikke dækket endnu."
    assert selectors.news_for_cluster([world.cluster_a.pk]).get() == order
    with pytest.raises(DomainError, match="cannot be changed"):
        services.order_accept(actor=world.users["region_a"], order=order)


def test_delivery_is_an_import_of_the_clusters_data(world):
    order = _order(world)
    services.order_accept(actor=world.users["region_a"], order=order)
    data = (HEADER + "100001,opioids,2026-10,12,210\n100002,opioids,2026-10,9,180\n").encode()
    delivered = services.order_deliver(
        actor=world.users["region_a"], order=order, data=data, filename="levering.csv"
    )
    assert delivered.status == OrderStatus.DELIVERED
    assert delivered.import_run.status == ImportStatus.SUCCEEDED
    assert delivered.import_run.scope == f"cluster:{world.cluster_a.pk}"
    assert IndicatorValue.objects.filter(period=dt.date(2026, 10, 1)).count() == 2
    assert not delivered.seen_by_cluster


def test_a_bad_delivery_is_refused_like_any_import_and_the_order_stays_open(world):
    order = _order(world)
    # A clinic of another cluster is outside the order: refused, nothing written.
    data = (HEADER + "100001,opioids,2026-10,12,210\n200001,opioids,2026-10,3,90\n").encode()
    with pytest.raises(DomainError, match="refused"):
        services.order_deliver(
            actor=world.users["region_a"], order=order, data=data, filename="levering.csv"
        )
    order.refresh_from_db()
    assert order.status == OrderStatus.ORDERED
    assert not IndicatorValue.objects.filter(period=dt.date(2026, 10, 1)).exists()
    assert ImportRun.objects.filter(filename="levering.csv").get().status == ImportStatus.FAILED
    # A CPR number refuses the file without echoing it.
    cpr = (HEADER + "100001,opioids,2026-10,12,210\n010190-1234,x,y,z,w\n").encode()
    with pytest.raises(DomainError) as error:
        services.order_deliver(
            actor=world.users["region_a"], order=order, data=cpr, filename="b.csv"
        )
    assert "010190" not in error.value.message


def test_the_queue_shows_the_units_orders_overdue_first(world):
    early = _order(world, on=dt.date(2026, 10, 1))  # due 29 October: overdue
    later = _order(world)
    other = _order(world, cluster=world.cluster_b)  # Hovedstaden's cluster
    queue = list(selectors.queue(user=world.users["region_a"], on=TODAY))
    assert [o.pk for o in queue] == [early.pk, later.pk]
    assert queue[0].overdue == 0 and queue[1].overdue == 1
    assert [o.pk for o in selectors.queue(user=world.users["region_other"], on=TODAY)] == [other.pk]
    assert len(selectors.queue(user=world.users["secretariat"], on=TODAY)) == 3
    services.order_decline(actor=world.users["region_a"], order=early, reason="Nej")
    assert [o.pk for o in selectors.queue(user=world.users["region_a"], on=TODAY)] == [later.pk]


def test_messages_from_the_unit_are_news_for_the_cluster(world):
    order = _order(world)
    services.message_add(actor=world.users["coordinator_a"], order=order, body="Haster det?")
    assert not selectors.news_for_cluster([world.cluster_a.pk]).exists()
    services.message_add(actor=world.users["region_a"], order=order, body="Vi er i gang.")
    assert selectors.news_for_cluster([world.cluster_a.pk]).get() == order
    assert [m.body for m in selectors.order_messages(order)] == ["Haster det?", "Vi er i gang."]


def test_the_coordinator_is_mailed_on_decline_with_the_reason_and_on_delivery(
    world, django_capture_on_commit_callbacks
):
    from django.core import mail
    from django_tasks_db.models import DBTaskResult

    from klynge.dataorders.models import OrderNotice

    declined = _order(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_accept(actor=world.users["region_a"], order=declined)
    assert not OrderNotice.objects.exists()  # accepting is not news by e-mail
    with django_capture_on_commit_callbacks(execute=True):
        services.order_decline(
            actor=world.users["region_a"], order=declined, reason="Perioden er ikke dækket."
        )
    (notice,) = OrderNotice.objects.all()
    assert notice.recipient == "koordinator@a.test" and notice.status == OrderStatus.DECLINED
    (task,) = [t for t in DBTaskResult.objects.all() if t.task_path.endswith("send_order_notice")]
    assert task.args_kwargs["args"] == [notice.pk]
    assert services.notice_send(notice.pk) == "sent"
    assert services.notice_send(notice.pk) == "skipped"
    (message,) = mail.outbox
    assert f"#{declined.pk}" in message.subject and "Perioden er ikke dækket." in message.body

    delivered = _order(world)
    data = (HEADER + "100001,opioids,2026-10,12,210\n").encode()
    with django_capture_on_commit_callbacks(execute=True):
        services.order_deliver(
            actor=world.users["region_a"], order=delivered, data=data, filename="l.csv"
        )
    notice = OrderNotice.objects.get(order=delivered)
    services.notice_send(notice.pk)
    assert f"/dataordrer/{delivered.pk}/" in mail.outbox[-1].body
