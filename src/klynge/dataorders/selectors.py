"""Data-order reads: a cluster's orders, a recipient's queue (overdue first), the roles a
user holds on an order."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from klynge.core.permissions import Role
from klynge.dataorders.models import OPEN_STATUSES, DataOrder, OrderStatus


def user_order_roles(user: Any, order: DataOrder) -> set[Role]:
    """An order resolves to its cluster's roles; the staff of the unit it is addressed to
    hold the region role on it too (an order to a unit outside the cluster's region)."""
    from klynge.registry.selectors import staff_region, user_cluster_roles

    roles = user_cluster_roles(user, order.cluster)
    region = staff_region(user)
    if region is not None and order.recipient_id == region.pk:
        roles.add(Role.REGION)
    return roles


def _base() -> QuerySet[DataOrder]:
    return DataOrder.objects.select_related(
        "cluster", "recipient", "package__package", "meeting"
    ).prefetch_related("indicators")


def cluster_orders(cluster: Any) -> QuerySet[DataOrder]:
    return _base().filter(cluster=cluster).order_by("-ordered_on", "-id")


def order_messages(order: DataOrder):
    return order.messages.select_related("author").all()


def queue(*, user: Any, on: dt.date, include_closed: bool = False) -> QuerySet[DataOrder]:
    """The orders a unit handles: addressed to the region the user serves on `on` from
    any of the clusters (the secretariat: addressed to it, and every region's), open
    ones first with the overdue at the top, then by due date."""
    from klynge.registry.selectors import staff_region

    qs = _base()
    if getattr(user, "is_secretariat", False):
        pass
    else:
        region = staff_region(user, on)
        if region is None:
            return qs.none()
        qs = qs.filter(recipient=region)
    if not include_closed:
        qs = qs.filter(status__in=OPEN_STATUSES)
    return qs.annotate(
        overdue=Case(
            When(status__in=OPEN_STATUSES, due__lt=on, then=Value(0)),
            When(status__in=OPEN_STATUSES, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("overdue", "due", "id")


def is_overdue(order: DataOrder, on: dt.date) -> bool:
    return order.status in OPEN_STATUSES and order.due < on


def news_for_cluster(cluster_ids: list[int]) -> QuerySet[DataOrder]:
    """Orders whose change the cluster has not seen yet (delivered, declined, a reply)."""
    return _base().filter(cluster_id__in=cluster_ids, seen_by_cluster=False)


def overdue_for_cluster(cluster_ids: list[int], on: dt.date) -> QuerySet[DataOrder]:
    return _base().filter(cluster_id__in=cluster_ids, status__in=OPEN_STATUSES, due__lt=on)


__all__ = ["OrderStatus", "cluster_orders", "queue", "user_order_roles"]
