"""The regional unit's and the secretariat's start page (`klynge.core.overview`):
grant payouts due and registrations still incomplete, for the clusters of their region
(every cluster, for the secretariat).

Both read the year's grant rows once (`finance.selectors.grant_rows`, scoped to the
region the way the grants page scopes it), so the two sections cost one computation;
the checklist of what is missing is read only for the clusters shown.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from klynge.core.formatting import format_date, format_money
from klynge.core.overview import Block, Item, Link, memo, register
from klynge.core.permissions import Role, roles_for
from klynge.finance.selectors import GrantRow, grant_rows
from klynge.registry.models import Region
from klynge.registry.selectors import registration_checklist, staff_scope

MAX_ITEMS = 10


def _region(user: Any, on: dt.date) -> Region | None:
    """The region the user's pages show on `on` (None: the nation, for the secretariat),
    as the grants and coverage pages scope it (`staff_scope`: the post held on `on`,
    carried to a successor region after a merger)."""
    return memo(user, ("staff_scope", on), lambda: staff_scope(user, on))


def _applies(user: Any, on: dt.date) -> bool:
    """The secretariat, and regional staff with a post (never the nation by default)."""
    if Role.SECRETARIAT in roles_for(user):
        return True
    return Role.REGION in roles_for(user) and _region(user, on) is not None


def _rows(user: Any, on: dt.date) -> list[GrantRow]:
    def compute() -> list[GrantRow]:
        region = _region(user, on)
        try:
            return grant_rows(year=on.year, region=region.pk if region else None)
        except ValueError:  # no grant scheme in force this year
            return []

    return memo(user, ("grant_rows", on.year), compute)


def _context(user: Any, on: dt.date) -> str:
    region = _region(user, on)
    return region.name if region else ""


class PayoutsDueSection:
    key = "overviews.payouts_due"
    order = 400
    title = gettext_lazy("Payouts due")

    def applies(self, user: Any, on: dt.date) -> bool:
        return _applies(user, on)

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        due = [
            (row, row.due_on(on.year))
            for row in _rows(user, on)
            if row.due > 0 and row.due_on(on.year) is not None
        ]
        due = [(row, day) for row, day in due if day is not None and day <= on]
        due.sort(key=lambda rd: (rd[1], rd[0].cluster.name))
        total = sum((row.due for row, _day in due), start=Decimal("0"))
        items = tuple(
            Item(
                text=f"{row.cluster.name}: {format_money(row.due)}",
                detail=_("Due since %(date)s") % {"date": format_date(day)},
                url=reverse("finance:grants"),
                tone="due",
            )
            for row, day in due[:MAX_ITEMS]
        )
        return [
            Block(
                items=items,
                empty=_("No payouts due"),
                context=_context(user, on),
                summary=ngettext(
                    "%(n)s cluster waits for its grant: %(total)s in all.",
                    "%(n)s clusters wait for their grant: %(total)s in all.",
                    len(due),
                )
                % {"n": len(due), "total": format_money(total)}
                if due
                else "",
                link=Link(_("Grants and payouts"), reverse("finance:grants")),
            )
        ]


class IncompleteRegistrationsSection:
    key = "overviews.incomplete_registrations"
    order = 410
    title = gettext_lazy("Incomplete registrations")

    def applies(self, user: Any, on: dt.date) -> bool:
        return _applies(user, on)

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        incomplete = sorted(
            (
                row.cluster
                for row in _rows(user, on)
                if row.first_payout is None and row.cluster.dissolved is None
            ),
            key=lambda c: (c.registered, c.name),
        )
        items = []
        for cluster in incomplete[:MAX_ITEMS]:
            missing = [
                str(item.label)
                for item in registration_checklist(cluster=cluster, on=on)
                if not item.done
            ]
            items.append(
                Item(
                    text=cluster.name,
                    detail=_("Registered %(date)s") % {"date": format_date(cluster.registered)},
                    url=reverse("registry:cluster.registration", args=[cluster.slug]),
                    tone="due",
                    lines=tuple(missing),
                )
            )
        return [
            Block(
                items=tuple(items),
                empty=_("Every registration is complete"),
                context=_context(user, on),
                summary=ngettext(
                    "%(n)s cluster has not completed its registration.",
                    "%(n)s clusters have not completed their registration.",
                    len(incomplete),
                )
                % {"n": len(incomplete)}
                if incomplete
                else "",
            )
        ]


class ProgrammeSection:
    """The programme dashboard's key figures at the top of the start page of regional
    and secretariat users (KNOW-5); the whole dashboard is one click away."""

    key = "overviews.programme"
    order = 390
    title = gettext_lazy("The programme today")
    FIGURES = (
        "clusters",
        "doctor_share",
        "incomplete",
        "grants_due",
        "meetings_held",
        "orders_overdue",
        "inquiries_queue",
        "reports_received",
    )

    def applies(self, user: Any, on: dt.date) -> bool:
        return _applies(user, on)

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        from klynge.core.formatting import format_number, format_percent
        from klynge.overviews import dashboard

        board = dashboard.build(on=on, region=_region(user, on), grant_rows=_rows(user, on))
        url = reverse("overviews:dashboard")
        items = []
        for key in self.FIGURES:
            f = board[key]
            if f.value is None:
                value = "–"
            elif f.kind == "money":
                value = format_money(f.value)
            elif f.kind == "share":
                value = format_percent(f.value)
            else:
                value = format_number(f.value)
            items.append(Item(text=f"{f.label}: {value}", detail=f.detail, url=url))
        return [
            Block(
                items=tuple(items),
                empty="",
                context=_context(user, on),
                link=Link(_("Programme dashboard"), url),
            )
        ]


register(ProgrammeSection())
register(PayoutsDueSection())
register(IncompleteRegistrationsSection())
