"""Reading the statutes in force."""

from __future__ import annotations

import datetime as dt

from klynge.governance.models import Statutes
from klynge.registry.models import Cluster


def statutes_on(*, cluster: Cluster, on: dt.date) -> Statutes | None:
    """The version of the statutes in force on `on`: the latest adopted on or before it."""
    return (
        Statutes.objects.filter(cluster=cluster, adopted__lte=on)
        .order_by("-adopted", "-id")
        .first()
    )


def statutes_versions(*, cluster: Cluster) -> list[Statutes]:
    return list(Statutes.objects.filter(cluster=cluster).order_by("-adopted", "-id"))
