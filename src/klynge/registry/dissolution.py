"""Dissolving a cluster (REG, FIN-5): the registry's own fact.

`cluster_dissolve` sets the cluster's dissolved date and ends everything that ties
clinics and doctors to it on that date — memberships, participation and roles — so the
register, coverage, the map and the grants due all read the cluster as gone from that
day, and its clinics can join another cluster. Rows that would only have started on or
after the date are removed (they never came into force), as `membership_end` does.

Trade-off: the rows are ended here directly rather than through `membership_end` and
friends, because those re-check the registration checklist after each step and would
clear `registration_completed` (the date the grants are computed from) half-way
through; the dissolution writes one audit entry per ended row and one for the cluster.
Finance reacts in `finance.accounts.books_close`, which calls this in its transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.formatting import format_date
from klynge.core.models import audit_log
from klynge.registry.models import Cluster, Membership, Participation, RoleAssignment

__all__ = ["cluster_dissolve"]


@transaction.atomic
def cluster_dissolve(*, actor: Any, cluster: Cluster, on: dt.date) -> Cluster:
    """Dissolve `cluster` on `on` (the first day it no longer exists) and end its
    memberships, participation and roles on that day. Raises `DomainError` when it is
    already dissolved or `on` is not after its founding."""
    locked = Cluster.objects.select_for_update().get(pk=cluster.pk)
    if locked.dissolved is not None:
        raise DomainError(
            _("The cluster was already dissolved on %(d)s.") % {"d": format_date(locked.dissolved)}
        )
    if on <= locked.founded:
        raise DomainError(
            _("A cluster cannot be dissolved before it was founded (%(d)s).")
            % {"d": format_date(locked.founded)},
            field="date",
        )
    scope = f"cluster:{cluster.pk}"
    ended = {"roles": 0, "participations": 0, "memberships": 0}
    # Roles first, then participation, then memberships: the order a departure takes.
    for model, key, action in (
        (RoleAssignment, "roles", "registry.role.ended"),
        (Participation, "participations", "registry.participation.ended"),
        (Membership, "memberships", "registry.membership.ended"),
    ):
        rows = model.objects.select_for_update().filter(cluster=cluster).overlapping(on, None)
        for row in rows:
            if row.start >= on:
                row.delete()
                continue
            row.end = on
            row.save(update_fields=["end"])
            ended[key] += 1
            audit_log(
                actor=actor,
                action=action,
                target=row,
                scope=scope,
                data={"end": str(on), "reason": "dissolution"},
            )
    locked.dissolved = on
    locked.save(update_fields=["dissolved"])
    cluster.dissolved = on
    audit_log(
        actor=actor,
        action="registry.cluster.dissolved",
        target=locked,
        scope=scope,
        data={"on": str(on), **ended},
    )
    return locked
