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


def consenting_clinics(*, clinic_ids: set[int], purpose: str) -> set[int]:
    from klynge.dataorders.models import PurposeConsent

    return set(
        PurposeConsent.objects.filter(
            clinic_id__in=clinic_ids, purpose=purpose, withdrawn_on__isnull=True
        ).values_list("clinic_id", flat=True)
    )


def consent_missing(order: DataOrder, on: dt.date) -> list[Any]:
    """The member clinics (on `on`) whose consent an open-data order still lacks: none
    for an anonymised order. A consent given for the same purpose before, for any
    order, counts."""
    from klynge.registry.selectors import cluster_memberships_on

    if order.anonymised or not order.purpose:
        return []
    clinics = [m.clinic for m in cluster_memberships_on(cluster=order.cluster, on=on)]
    have = consenting_clinics(clinic_ids={c.pk for c in clinics}, purpose=order.purpose)
    return [c for c in clinics if c.pk not in have]


def purposes_asked(cluster: Any) -> set[str]:
    """The purposes the cluster's open orders for open data ask consent for."""
    return set(
        DataOrder.objects.filter(cluster=cluster, status__in=OPEN_STATUSES, anonymised=False)
        .exclude(purpose="")
        .values_list("purpose", flat=True)
    )


__all__ = ["OrderStatus", "cluster_orders", "queue", "user_order_roles"]
