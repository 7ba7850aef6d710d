"""Money on the start page (`klynge.core.overview`).

The coordinator sees the year's expected grant and the next payout (from the grant
rows, `finance.selectors.grant_row`: the one record of what is paid is the payouts).
The treasurer sees the bank balance, the year's income and expenses against the
adopted budget, fee instalments due and items waiting to be booked. The regions' and
the secretariat's payouts due are in `klynge.overviews.overview`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from klynge.core.formatting import format_date, format_money, format_percent
from klynge.core.overview import Block, Item, Link, register
from klynge.core.permissions import Role, has_perm
from klynge.finance import ledger
from klynge.finance.accounts import PAYMENTS_PER_YEAR
from klynge.finance.models import (
    AccountKind,
    BudgetLine,
    Entry,
    FeeContract,
    FeePayment,
    PaymentFrequency,
    Payout,
)
from klynge.finance.selectors import GrantRow, grant_row
from klynge.registry.models import Cluster, RoleKind
from klynge.registry.overview import viewer

ZERO = Decimal("0")


def _grant_row(cluster: Cluster, year: int) -> GrantRow | None:
    try:
        return grant_row(cluster=cluster, year=year)
    except ValueError:  # no grant scheme in force that year
        return None


def grant_items(row: GrantRow | None, *, year: int, on: dt.date) -> tuple[Item, ...]:
    """The year's expected grant and what comes next: the next payout, or why none."""
    if row is None:
        return ()
    items = [
        Item(
            text=_("Expected grant %(year)s: %(amount)s")
            % {"year": year, "amount": format_money(row.grant.total)},
            detail=_("Paid so far: %(paid)s") % {"paid": format_money(row.paid)},
        )
    ]
    due_on = row.due_on(year)
    if row.cluster.dissolved is not None:
        pass
    elif row.first_payout is None:
        items.append(
            Item(
                text=_("The grant is paid once the registration is complete."),
                url=reverse("registry:cluster.registration", args=[row.cluster.slug]),
                tone="due",
            )
        )
    elif row.due > 0 and due_on is not None:
        items.append(
            Item(
                text=_("Next payout: %(amount)s") % {"amount": format_money(row.due)},
                detail=(
                    _("Due from %(date)s") % {"date": format_date(due_on)}
                    if due_on > on
                    else _("Due since %(date)s; the region pays it") % {"date": format_date(due_on)}
                ),
            )
        )
    else:
        items.append(Item(text=_("This year's grant is paid in full."), tone="done"))
    return tuple(items)


class GrantSection:
    """The coordinator: what the cluster can expect this year."""

    key = "finance.grant"
    order = 250
    title = gettext_lazy("Grant")

    def _clusters(self, user: Any, on: dt.date) -> list[Cluster]:
        return viewer(user, on).clusters_where(user, Role.COORDINATOR)

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(self._clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        return [
            Block(
                items=grant_items(_grant_row(cluster, on.year), year=on.year, on=on),
                empty=_("No grant scheme is in force this year."),
                context=cluster.name,
                link=Link(_("The books"), reverse("finance:books", args=[cluster.slug])),
            )
            for cluster in self._clusters(user, on)
        ]


# --- The treasurer -------------------------------------------------------------------------


def _periods_started(contract: FeeContract, on: dt.date) -> int:
    """Instalments of the contract that have fallen due this year up to `on` (one at
    the start of each month, quarter or year it runs in)."""
    first = max(contract.start, dt.date(on.year, 1, 1))
    if first > on or (contract.end is not None and contract.end <= first):
        return 0
    last = on if contract.end is None else min(on, contract.end - dt.timedelta(days=1))
    frequency = PaymentFrequency(contract.frequency)
    if frequency == PaymentFrequency.MONTHLY:
        return last.month - first.month + 1
    if frequency == PaymentFrequency.QUARTERLY:
        return (last.month - 1) // 3 - (first.month - 1) // 3 + 1
    return 1


def fee_items(cluster: Cluster, on: dt.date) -> list[Item]:
    """Each running fee contract whose instalments this year are not all paid."""
    contracts = list(
        FeeContract.objects.filter(cluster=cluster, start__lte=on).filter(
            Q(end__isnull=True) | Q(end__gt=dt.date(on.year, 1, 1))
        )
    )
    paid = dict(
        FeePayment.objects.filter(contract__in=contracts, paid_on__year=on.year)
        .values("contract_id")
        .annotate(total=Sum("amount"))
        .values_list("contract_id", "total")
    )
    url = reverse("finance:fees", args=[cluster.slug])
    items = []
    for contract in contracts:
        per = PAYMENTS_PER_YEAR[PaymentFrequency(contract.frequency)]
        instalment = (contract.yearly_fee / per).quantize(Decimal("0.01"))
        expected = instalment * _periods_started(contract, on)
        missing = expected - (paid.get(contract.pk) or ZERO)
        if missing > 0:
            items.append(
                Item(
                    text=_("Fee to %(recipient)s (%(role)s): %(amount)s due")
                    % {
                        "recipient": contract.recipient,
                        "role": contract.role,
                        "amount": format_money(missing, 2),
                    },
                    detail=_("%(instalment)s per instalment, %(frequency)s")
                    % {
                        "instalment": format_money(instalment, 2),
                        "frequency": contract.get_frequency_display().lower(),
                    },
                    url=url,
                    tone="due",
                )
            )
    return items


def to_book_items(cluster: Cluster, on: dt.date) -> list[Item]:
    """Money that has moved but is not in the books: speakers' fees of held meetings
    not yet booked, payouts without their booking."""
    from klynge.meetings.models import Speaker

    items = []
    for speaker in (
        Speaker.objects.filter(
            meeting__cluster=cluster,
            meeting__cancelled_at__isnull=True,
            meeting__starts__lte=timezone.now(),
            fee__gt=0,
            fee_transaction__isnull=True,
        )
        .select_related("meeting")
        .order_by("meeting__starts", "id")[:10]
    ):
        items.append(
            Item(
                text=_("Speaker's fee to %(name)s: %(amount)s")
                % {"name": speaker.name, "amount": format_money(speaker.fee, 2)},
                detail=_("%(meeting)s, %(date)s")
                % {
                    "meeting": speaker.meeting.title,
                    "date": format_date(timezone.localdate(speaker.meeting.starts)),
                },
                url=reverse("meetings:detail", args=[cluster.slug, speaker.meeting_id]),
                tone="due",
            )
        )
    for payout in Payout.objects.filter(cluster=cluster, booking__isnull=True).order_by(
        "paid_on", "id"
    )[:10]:
        items.append(
            Item(
                text=_("Grant payout of %(amount)s, %(date)s")
                % {"amount": format_money(payout.amount, 2), "date": format_date(payout.paid_on)},
                url=reverse("finance:books", args=[cluster.slug]),
                tone="due",
            )
        )
    return items


def budget_items(cluster: Cluster, on: dt.date) -> list[Item]:
    """The bank balance and the year's income and expenses against the budget."""
    year = on.year
    url = reverse("finance:books", args=[cluster.slug])
    balances = ledger.account_balances(cluster=cluster)
    items = [
        Item(
            text=_("Bank balance: %(amount)s")
            % {"amount": format_money(balances.get("1000", ZERO))},
            url=url,
        )
    ]
    actual = {
        kind: total or ZERO
        for kind, total in Entry.objects.filter(
            account__cluster=cluster,
            transaction__date__year=year,
            account__kind__in=[AccountKind.INCOME, AccountKind.EXPENSE],
        )
        .values("account__kind")
        .annotate(total=Sum("amount"))
        .values_list("account__kind", "total")
    }
    budget = {
        kind: total or ZERO
        for kind, total in BudgetLine.objects.filter(budget__cluster=cluster, budget__year=year)
        .values("account__kind")
        .annotate(total=Sum("amount"))
        .values_list("account__kind", "total")
    }
    if not budget:
        items.append(
            Item(
                text=_("No budget adopted for %(year)s") % {"year": year},
                detail=_("Income %(income)s, expenses %(expenses)s so far this year")
                % {
                    "income": format_money(-actual.get(AccountKind.INCOME, ZERO)),
                    "expenses": format_money(actual.get(AccountKind.EXPENSE, ZERO)),
                },
                url=url,
                tone="due",
            )
        )
        return items
    for kind, sign, label in (
        (AccountKind.EXPENSE, 1, _("Expenses %(year)s")),
        (AccountKind.INCOME, -1, _("Income %(year)s")),
    ):
        spent = sign * actual.get(kind, ZERO)
        planned = budget.get(kind, ZERO)
        over = kind == AccountKind.EXPENSE and planned > 0 and spent > planned
        figures = (
            _("%(actual)s of %(budget)s budgeted")
            % {"actual": format_money(spent), "budget": format_money(planned)}
            if planned
            else _("%(actual)s, not in the budget") % {"actual": format_money(spent)}
        )
        items.append(
            Item(
                text=(label % {"year": year}) + ": " + figures,
                detail=format_percent(float(spent / planned)) if planned else "",
                url=url,
                tone="overdue" if over else "",
            )
        )
    return items


class BooksSection:
    """The treasurer (FIN-3, FIN-4): the state of the books and what to do in them."""

    key = "finance.books"
    order = 300
    title = gettext_lazy("The books")

    def _clusters(self, user: Any, on: dt.date) -> list[Cluster]:
        return [
            c
            for c in viewer(user, on).clusters_holding(user, RoleKind.TREASURER)
            if has_perm(user, "finance.view_books", c)
        ]

    def applies(self, user: Any, on: dt.date) -> bool:
        return bool(self._clusters(user, on))

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        blocks = []
        for cluster in self._clusters(user, on):
            blocks.append(
                Block(
                    items=(*budget_items(cluster, on), *fee_items(cluster, on)),
                    empty="",
                    context=cluster.name,
                    link=Link(_("The books"), reverse("finance:books", args=[cluster.slug])),
                )
            )
        return blocks


class ToBookSection(BooksSection):
    """The treasurer: money that has moved and waits to be booked."""

    key = "finance.to_book"
    order = 310
    title = gettext_lazy("To book")

    def blocks(self, user: Any, on: dt.date) -> list[Block]:
        return [
            Block(
                items=tuple(to_book_items(cluster, on)),
                empty=_("Nothing waiting to be booked"),
                context=cluster.name,
            )
            for cluster in self._clusters(user, on)
        ]


register(GrantSection())
register(BooksSection())
register(ToBookSection())
