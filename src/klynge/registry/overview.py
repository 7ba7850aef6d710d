"""The registry's part of the start page (`klynge.core.overview`): who the viewer is in
which cluster today — read once per request and shared by every domain's sections —
and the coordinator's registration checklist while it is incomplete.

Whether a section applies is asked of the permission engine (`roles_for`), so the
start page shows a cluster's business to exactly those the rest of the product lets
see it; the registry's own role kinds are used only where a permission role is too
coarse (the treasurer is one of the board).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from klynge.core.overview import Block, Item, Link, memo, register
from klynge.core.permissions import Role, roles_for
from klynge.registry.models import Cluster, Doctor, Participation, RoleAssignment
from klynge.registry.selectors import registration_checklist


@dataclass(frozen=True)
class ViewerCluster:
    cluster: Cluster
    role_kinds: frozenset[str]  # RoleKind values held today
    participates: bool


@dataclass(frozen=True)
class Viewer:
    """The logged-in user as a doctor: their doctor row (None for staff) and the
    clusters they take part in or hold a role in today."""

    doctor: Doctor | None
    clusters: tuple[ViewerCluster, ...]

    def clusters_where(self, user: Any, role: Role) -> list[Cluster]:
        """The viewer's clusters on which the permission engine gives `user` `role`."""
        return [vc.cluster for vc in self.clusters if role in roles_for(user, vc.cluster)]

    def clusters_holding(self, user: Any, role_kind: str) -> list[Cluster]:
        """The viewer's clusters in which they hold `role_kind` (e.g. treasurer) and on
        which the engine gives them a board or coordinator role."""
        return [
            vc.cluster
            for vc in self.clusters
            if role_kind in vc.role_kinds
            and roles_for(user, vc.cluster) & {Role.BOARD, Role.COORDINATOR}
        ]


def viewer(user: Any, on: dt.date) -> Viewer:
    """Who `user` is on `on` (three queries, once per request)."""

    def compute() -> Viewer:
        doctor = Doctor.objects.filter(user=user).select_related("clinic").first()
        if doctor is None:
            return Viewer(None, ())
        found: dict[int, tuple[Cluster, set[str], bool]] = {}
        for p in (
            Participation.objects.active_on(on)
            .filter(doctor=doctor)
            .select_related("cluster__municipality")
        ):
            found[p.cluster_id] = (p.cluster, set(), True)
        for r in (
            RoleAssignment.objects.active_on(on)
            .filter(doctor=doctor)
            .select_related("cluster__municipality")
        ):
            entry = found.setdefault(r.cluster_id, (r.cluster, set(), False))
            entry[1].add(r.role)
        clusters = tuple(
            ViewerCluster(cluster, frozenset(kinds), participates)
            for cluster, kinds, participates in sorted(
                found.values(), key=lambda e: (e[0].name, e[0].pk)
            )
            if cluster.dissolved is None or cluster.dissolved > on
        )
        return Viewer(doctor, clusters)

    return memo(user, ("viewer", on), compute)


class RegistrationSection:
    """REG-2 for the coordinator: what the registration (and so the grant) still needs."""

    key = "registry.registration"
    order = 200
    title = gettext_lazy("Registration")

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(self._clusters(user, on))

    def _clusters(self, user: Any, on: dt.date) -> list[Cluster]:
        return [
            c
            for c in viewer(user, on).clusters_where(user, Role.COORDINATOR)
            if c.registration_completed is None
        ]

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        blocks = []
        for cluster in self._clusters(user, on):
            checklist = registration_checklist(cluster=cluster, on=on)
            missing = [item for item in checklist if not item.done]
            url = reverse("registry:cluster.registration", args=[cluster.slug])
            blocks.append(
                Block(
                    items=tuple(
                        Item(text=str(item.label), detail=str(item.hint), tone="due", url=url)
                        for item in missing
                    ),
                    empty=_("The registration is complete."),
                    context=cluster.name,
                    summary=ngettext(
                        "%(n)s of %(total)s points is missing before the grant can be paid.",
                        "%(n)s of %(total)s points are missing before the grant can be paid.",
                        len(missing),
                    )
                    % {"n": len(missing), "total": len(checklist)}
                    if missing
                    else "",
                    link=Link(_("Complete the registration"), url),
                )
            )
        return blocks


register(RegistrationSection())
