"""The hand-over pack (★): what a new coordinator needs on their first day, read from
the records of the cluster — the statutes in force, the last approved minutes, the open
actions, the books (the bank balance), the open data orders and the courses offered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from klynge.registry.models import Cluster


@dataclass
class HandoverPack:
    cluster: Cluster
    on: dt.date
    statutes: Any = None
    last_minutes: Any = None
    open_actions: list[Any] = field(default_factory=list)
    bank_balance: Decimal = Decimal("0")
    open_orders: list[Any] = field(default_factory=list)
    courses: list[Any] = field(default_factory=list)


def handover_pack(*, cluster: Cluster, on: dt.date) -> HandoverPack:
    from klynge.dataorders.models import OPEN_STATUSES, DataOrder
    from klynge.finance.ledger import account_balances
    from klynge.governance.selectors import statutes_on
    from klynge.meetings.models import Action, MinutesVersion
    from klynge.support.selectors import courses_with_sessions

    pack = HandoverPack(cluster=cluster, on=on)
    pack.statutes = statutes_on(cluster=cluster, on=on)
    pack.last_minutes = (
        MinutesVersion.objects.filter(
            meeting__cluster=cluster, status=MinutesVersion.Status.APPROVED
        )
        .select_related("meeting")
        .order_by("-meeting__starts", "-number")
        .first()
    )
    pack.open_actions = list(
        Action.objects.filter(meeting__cluster=cluster, status=Action.Status.OPEN)
        .select_related("meeting", "owner")
        .order_by("due", "id")
    )
    # The bank account (1000) carries the cluster's funds; an asset's balance is its debit.
    pack.bank_balance = account_balances(cluster=cluster, until=on).get("1000") or Decimal("0")
    pack.open_orders = list(
        DataOrder.objects.filter(cluster=cluster, status__in=OPEN_STATUSES).order_by("due", "id")
    )
    pack.courses = [(c, ss) for c, ss in courses_with_sessions() if ss]
    return pack
