"""The hand-over pack (★): what a new coordinator needs on their first day, read from
the records of the cluster — the statutes in force, the last approved minutes, the open
actions, the books (the bank balance), the open data orders and the courses offered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils import timezone

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


# --- The e-mail to the new coordinator -------------------------------------------------
#
# The registry records a new coordinator as a `RoleAssignment` (`registry.services.
# role_assign`, the one path that makes terms; a completed hand-over and an election go
# through it too). A `post_save` receiver (connected in `SupportConfig.ready`) reacts
# inside that write's transaction, so the registry does not know about the support desk
# and a rolled-back assignment leaves no notice behind.

HANDOVER_MAIL_HOUR = 7  # a term starting later is announced on its first morning


def handover_notice_register(*, assignment: Any) -> Any:
    """Queue the hand-over pack's e-mail to a coordinator taking over from someone
    else: once per term (the notice is keyed by it), to the doctor's address, sent by
    the worker after the commit, or on the morning the term starts when that is later.
    A cluster's first coordinator (who registered it) and a re-elected coordinator are
    not a hand-over; a doctor without an address gets no notice. Returns the notice or
    None."""
    from django.db import transaction

    from klynge.core.dates import today
    from klynge.meetings.selectors import doctor_email
    from klynge.registry.models import RoleAssignment, RoleKind
    from klynge.support.models import HandoverNotice

    if assignment.role != RoleKind.COORDINATOR:
        return None
    took_over = (
        RoleAssignment.objects.filter(
            cluster_id=assignment.cluster_id, role=RoleKind.COORDINATOR, start__lt=assignment.start
        )
        .exclude(doctor_id=assignment.doctor_id)
        .exists()
    )
    address = doctor_email(assignment.doctor)
    if not took_over or not address:
        return None
    notice, created = HandoverNotice.objects.get_or_create(
        assignment=assignment, defaults={"recipient": address}
    )
    if created:
        run_after = None
        if assignment.start > today():
            run_after = timezone.make_aware(
                dt.datetime.combine(assignment.start, dt.time(HANDOVER_MAIL_HOUR))
            )
        notice_id = notice.pk

        def _enqueue() -> None:
            from klynge.support.tasks import send_handover_notice

            task = send_handover_notice.using(run_after=run_after) if run_after else None
            (task or send_handover_notice).enqueue(notice_id)

        transaction.on_commit(_enqueue)
    return notice


def handover_notice_send(notice_id: int) -> str:
    """Send one hand-over notice (the worker): never twice, a failure kept on the row.
    A term that ended before its notice went out (a change corrected in the register)
    is not announced; nor is one whose row is gone with its term."""
    from klynge.core import mail as core_mail
    from klynge.core.dates import today
    from klynge.support.models import HandoverNotice

    notices = HandoverNotice.objects.select_related("assignment__cluster", "assignment__doctor")
    row = notices.filter(pk=notice_id).first()
    if row is None or (row.assignment.end is not None and row.assignment.end <= today()):
        return "skipped"
    return core_mail.send_notice_once(notices, notice_id, "support/mail/handover", _notice_context)


def _notice_context(notice: Any) -> dict[str, Any]:
    from django.urls import reverse

    assignment = notice.assignment
    cluster = assignment.cluster
    return {
        "doctor": assignment.doctor,
        "cluster": cluster,
        "start": assignment.start,
        "pack_path": reverse("support:handover", args=[cluster.slug]),
    }


def on_role_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **_: Any) -> None:
    """`post_save` of `registry.RoleAssignment`: a new coordinator's term."""
    if created and not raw:
        handover_notice_register(assignment=instance)
