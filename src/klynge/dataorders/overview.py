"""The data orders' part of the start page (`klynge.core.overview`).

For the cluster's coordinator or data person: news on the cluster's orders (delivered,
declined — with the reason —, a reply from the unit) and orders past their due date.
For the staff of a regional unit or the secretariat: the queue's overdue and open
orders, in one block."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from klynge.core.formatting import format_date
from klynge.core.overview import Block, Item, Link, memo, register
from klynge.core.permissions import Role, has_perm
from klynge.dataorders import selectors
from klynge.dataorders.models import DataOrder, OrderStatus
from klynge.registry.models import Cluster
from klynge.registry.overview import viewer

MAX_ITEMS = 10


def _order_url(order: DataOrder) -> str:
    return reverse("dataorders:detail", args=[order.pk])


def _what(order: DataOrder) -> str:
    return order.package.title if order.package else (order.description[:60] or _("Indicators"))


def _news_item(order: DataOrder, on: dt.date) -> Item:
    if order.status == OrderStatus.DECLINED:
        return Item(
            text=_("%(recipient)s declined the order “%(what)s”")
            % {"recipient": order.recipient_name, "what": _what(order)},
            detail=_("Reason: %(reason)s") % {"reason": order.decline_reason},
            tone="due",
            url=_order_url(order),
        )
    if order.status == OrderStatus.DELIVERED:
        return Item(
            text=_("The data for “%(what)s” is delivered") % {"what": _what(order)},
            detail=_("It is in the cluster's data now."),
            tone="done",
            url=_order_url(order),
        )
    return Item(
        text=_("News on the order “%(what)s”: %(status)s")
        % {"what": _what(order), "status": order.get_status_display().lower()},
        url=_order_url(order),
    )


class ClusterOrdersSection:
    key = "dataorders.cluster"
    order = 230
    title = gettext_lazy("Data orders")

    def _clusters(self, user: Any, on: dt.date) -> list[Cluster]:
        return memo(
            user,
            ("dataorders.clusters", on),
            lambda: viewer(user, on).clusters_where(user, Role.DATA),
        )

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(self._clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        clusters = self._clusters(user, on)
        ids = [c.pk for c in clusters]
        news = list(selectors.news_for_cluster(ids)[:MAX_ITEMS])
        overdue = list(selectors.overdue_for_cluster(ids, on)[:MAX_ITEMS])
        blocks = []
        for cluster in clusters:
            items = [_news_item(o, on) for o in news if o.cluster_id == cluster.pk]
            items += [
                Item(
                    text=_("The order “%(what)s” is overdue") % {"what": _what(o)},
                    detail=_("Due %(date)s from %(recipient)s")
                    % {"date": format_date(o.due), "recipient": o.recipient_name},
                    tone="overdue",
                    url=_order_url(o),
                )
                for o in overdue
                if o.cluster_id == cluster.pk and o.seen_by_cluster
            ]
            blocks.append(
                Block(
                    items=tuple(items),
                    empty=_("No news on the cluster's data orders."),
                    context=cluster.name,
                    link=Link(
                        _("The cluster's data orders"),
                        reverse("dataorders:list", args=[cluster.slug]),
                    ),
                )
            )
        return blocks


class QueueSection:
    key = "dataorders.queue"
    order = 420
    title = gettext_lazy("Data orders from the clusters")

    def applies(self, user: Any, on: dt.date) -> bool:
        return has_perm(user, "dataorders.view_queue")

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        orders = list(selectors.queue(user=user, on=on))
        overdue = [o for o in orders if o.due < on]
        items = tuple(
            Item(
                text=_("%(cluster)s: “%(what)s”") % {"cluster": o.cluster.name, "what": _what(o)},
                detail=_("Due %(date)s") % {"date": format_date(o.due)},
                tone="overdue" if o.due < on else "due",
                url=_order_url(o),
            )
            for o in orders[:MAX_ITEMS]
        )
        summary = (
            ngettext(
                "%(n)s open order, %(late)s overdue.",
                "%(n)s open orders, %(late)s overdue.",
                len(orders),
            )
            % {"n": len(orders), "late": len(overdue)}
            if orders
            else ""
        )
        return [
            Block(
                items=items,
                empty=_("No open orders."),
                summary=summary,
                link=Link(_("All data orders"), reverse("dataorders:queue")),
            )
        ]


register(ClusterOrdersSection())
register(QueueSection())
