"""Data-order writes (DATA-7). The cluster's coordinator or data person orders; the
recipient's staff (the regional unit the order is addressed to, or the secretariat)
accept, start, decline with a reason, and deliver a file that is imported exactly like
any other import (`quality.services.import_run_create` + `import_run_execute`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.dataorders.models import (
    GENERAL_PURPOSE,
    DataOrder,
    OrderMessage,
    OrderNotice,
    OrderStatus,
    PurposeConsent,
)
from klynge.dataorders.workdays import add_working_days
from klynge.registry.models import Cluster, Region

# A free-form order is due this many working days after it was placed; an order for a
# meeting is due this many working days before the meeting (time to prepare the pack).
FREE_FORM_WORKING_DAYS = 20
BEFORE_MEETING_WORKING_DAYS = 5


def _scope(order: DataOrder) -> str:
    return f"cluster:{order.cluster_id}"


def can_handle(actor: Any, order: DataOrder) -> bool:
    """The recipient's staff handle an order: the secretariat every order, regional
    staff the orders addressed to the region they serve today."""
    from klynge.registry.selectors import staff_region

    if getattr(actor, "is_secretariat", False):
        return True
    region = staff_region(actor)
    return region is not None and order.recipient_id == region.pk


def due_date(*, on: dt.date, meeting_date: dt.date | None) -> dt.date:
    if meeting_date is not None:
        due = add_working_days(meeting_date, -BEFORE_MEETING_WORKING_DAYS)
        return max(due, add_working_days(on, 1))
    return add_working_days(on, FREE_FORM_WORKING_DAYS)


@transaction.atomic
def order_create(
    *,
    actor: Any,
    cluster: Cluster,
    period_start: dt.date,
    period_end: dt.date,
    recipient: Region | None = None,
    to_secretariat: bool = False,
    package: Any = None,
    meeting: Any = None,
    indicators: Iterable[Any] = (),
    description: str = "",
    anonymised: bool = True,
    on: dt.date | None = None,
) -> DataOrder:
    """Order an extract. `recipient` None with `to_secretariat` is the national
    secretariat; otherwise the cluster's own regional unit (on `on`) is used."""
    from klynge.core.dates import today
    from klynge.registry.selectors import region_of

    on = on or today()
    if cluster.dissolved:
        raise DomainError(_("The cluster is dissolved."))
    indicators = list(indicators)
    description = description.strip()
    if not indicators and not description:
        raise DomainError(
            _("Choose indicators or describe the data you need."), field="description"
        )
    if period_end < period_start:
        raise DomainError(_("The period ends before it starts."), field="period_end")
    if recipient is None and not to_secretariat:
        recipient = region_of(cluster.municipality_id, on)
        if recipient is None:
            raise DomainError(_("The cluster's region is not known; order from the secretariat."))
    meeting_date = timezone.localtime(meeting.starts).date() if meeting and meeting.starts else None
    order = DataOrder.objects.create(
        cluster=cluster,
        recipient=None if to_secretariat else recipient,
        package=package,
        meeting=meeting,
        description=description,
        period_start=period_start,
        period_end=period_end,
        anonymised=anonymised,
        purpose=""
        if anonymised
        else (package.package.theme if package is not None else GENERAL_PURPOSE),
        ordered_on=on,
        due=due_date(on=on, meeting_date=meeting_date),
        ordered_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    order.indicators.set(indicators)
    audit_log(
        actor=actor,
        action="dataorders.order.created",
        target=order,
        scope=_scope(order),
        data={
            "recipient": order.recipient_id,
            "package": getattr(package, "pk", None),
            "due": str(order.due),
        },
    )
    return order


def _locked(order: DataOrder, actor: Any) -> DataOrder:
    order = DataOrder.objects.select_for_update().get(pk=order.pk)
    if not can_handle(actor, order):
        raise DomainError(_("This order is addressed to another unit."))
    return order


def _move(actor: Any, order: DataOrder, *, allowed: set[str], to: str, **data: Any) -> DataOrder:
    order = _locked(order, actor)
    if order.status not in allowed:
        raise DomainError(
            _("The order is %(status)s and cannot be changed that way.")
            % {"status": order.get_status_display().lower()}
        )
    order.status = to
    order.seen_by_cluster = False
    for name, value in data.items():
        setattr(order, name, value)
    order.save()
    if to in (OrderStatus.DELIVERED, OrderStatus.DECLINED):
        _notify(order)
    audit_log(
        actor=actor,
        action=f"dataorders.order.{to}",
        target=order,
        scope=_scope(order),
        data={k: str(v) for k, v in data.items()},
    )
    return order


@transaction.atomic
def order_accept(*, actor: Any, order: DataOrder) -> DataOrder:
    return _move(actor, order, allowed={OrderStatus.ORDERED}, to=OrderStatus.ACCEPTED)


@transaction.atomic
def order_start(*, actor: Any, order: DataOrder) -> DataOrder:
    return _move(
        actor,
        order,
        allowed={OrderStatus.ORDERED, OrderStatus.ACCEPTED},
        to=OrderStatus.IN_PROGRESS,
    )


@transaction.atomic
def order_decline(*, actor: Any, order: DataOrder, reason: str) -> DataOrder:
    """Decline with a reason the coordinator sees on the order and on the start page."""
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the order is declined."), field="reason")
    return _move(
        actor,
        order,
        allowed={OrderStatus.ORDERED, OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS},
        to=OrderStatus.DECLINED,
        decline_reason=reason,
    )


def order_deliver(*, actor: Any, order: DataOrder, data: bytes, filename: str) -> DataOrder:
    """Deliver a file against the order: it is checked and written exactly like any
    import, for the ordering cluster's member clinics only. A refused file leaves the
    order open (the errors are on the import run); a good one delivers the order and
    tells the coordinator (the order and the start page)."""
    from django.conf import settings

    from klynge.core.dates import today
    from klynge.dataorders.selectors import consent_missing
    from klynge.quality import services as quality
    from klynge.quality.models import ImportStatus
    from klynge.registry.selectors import cluster_memberships_on

    with transaction.atomic():
        order = _locked(order, actor)
        if not order.is_open:
            raise DomainError(_("The order is closed."))
        missing = consent_missing(order, today())
        if missing:
            raise DomainError(
                ngettext(
                    "Open data waits for consent: %(count)s member clinic has not consented "
                    "to this purpose yet.",
                    "Open data waits for consent: %(count)s member clinics have not consented "
                    "to this purpose yet.",
                    len(missing),
                )
                % {"count": len(missing)},
                field="file",
            )
    if len(data) > settings.KLYNGE_IMPORT_MAX_BYTES:
        raise DomainError(
            _("The file is larger than %(max)s MB.")
            % {"max": settings.KLYNGE_IMPORT_MAX_BYTES // 1_000_000},
            field="file",
        )
    clinics = {m.clinic_id for m in cluster_memberships_on(cluster=order.cluster, on=today())}
    run = quality.import_run_create(
        actor=actor, data=data, filename=filename, source="order", scope=_scope(order)
    )
    run = quality.import_run_execute(run=run, data=data, allowed_clinic_ids=clinics)
    if run.status != ImportStatus.SUCCEEDED:
        first = run.errors[0]["message"] if run.errors else ""
        raise DomainError(
            ngettext(
                "The file was refused (%(count)s problem). %(first)s",
                "The file was refused (%(count)s problems). %(first)s",
                run.error_count,
            )
            % {"count": run.error_count, "first": first},
            field="file",
        )
    with transaction.atomic():
        return _move(
            actor,
            order,
            allowed={OrderStatus.ORDERED, OrderStatus.ACCEPTED, OrderStatus.IN_PROGRESS},
            to=OrderStatus.DELIVERED,
            import_run=run,
            delivered_at=timezone.now(),
        )


@transaction.atomic
def message_add(*, actor: Any, order: DataOrder, body: str) -> OrderMessage:
    body = body.strip()
    if not body:
        raise DomainError(_("Write a message."), field="body")
    message = OrderMessage.objects.create(
        order=order,
        author=actor if getattr(actor, "is_authenticated", False) else None,
        author_name=str(actor) if getattr(actor, "is_authenticated", False) else "",
        body=body,
    )
    if can_handle(actor, order):
        DataOrder.objects.filter(pk=order.pk).update(seen_by_cluster=False)
    audit_log(actor=actor, action="dataorders.message.added", target=order, scope=_scope(order))
    return message


@transaction.atomic
def order_mark_seen(*, actor: Any, order: DataOrder) -> None:
    """The coordinator has read the news on the order (it leaves the start page)."""
    DataOrder.objects.filter(pk=order.pk).update(seen_by_cluster=True)
    audit_log(actor=actor, action="dataorders.order.seen", target=order, scope=_scope(order))


@transaction.atomic
def consent_give(*, actor: Any, cluster: Cluster, purpose: str) -> PurposeConsent:
    """The actor's clinic consents to open data for `purpose`, once: every later open
    order for the same purpose, from any of its clusters, reuses it. Only a purpose an
    open order of `cluster` asks for can be consented to here."""
    from klynge.core.dates import today
    from klynge.dataorders.selectors import purposes_asked
    from klynge.quality.selectors import viewer_clinic_id
    from klynge.registry.selectors import cluster_memberships_on

    on = today()
    clinic_id = viewer_clinic_id(actor)
    members = {m.clinic_id for m in cluster_memberships_on(cluster=cluster, on=on)}
    if clinic_id is None or clinic_id not in members:
        raise DomainError(_("Only a doctor of a member clinic consents for the clinic."))
    if purpose not in purposes_asked(cluster):
        raise DomainError(_("No open order asks for consent to this purpose."))
    existing = PurposeConsent.objects.filter(
        clinic_id=clinic_id, purpose=purpose, withdrawn_on__isnull=True
    ).first()
    if existing is not None:
        raise DomainError(_("Your clinic has consented to this purpose already."))
    consent = PurposeConsent.objects.create(
        clinic_id=clinic_id,
        purpose=purpose,
        given_on=on,
        given_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit_log(
        actor=actor,
        action="dataorders.consent.given",
        target=consent,
        scope=f"cluster:{cluster.pk}",
        data={"clinic": clinic_id, "purpose": purpose},
    )
    return consent


def notice_recipients(order: DataOrder) -> list[str]:
    """Who hears that an order was delivered or declined: the person who ordered it and
    the cluster's coordinator today, once each."""
    from klynge.core.dates import today
    from klynge.meetings.selectors import doctor_email
    from klynge.registry.selectors import cluster_coordinator_on

    addresses: dict[str, str] = {}
    if order.ordered_by is not None and order.ordered_by.email:
        addresses[order.ordered_by.email.lower()] = order.ordered_by.email
    coordinator = cluster_coordinator_on(cluster=order.cluster, on=today())
    if coordinator is not None and doctor_email(coordinator):
        addresses.setdefault(doctor_email(coordinator).lower(), doctor_email(coordinator))
    return list(addresses.values())


def _notify(order: DataOrder) -> None:
    """Inside the write's transaction: one notice row per recipient, sent by the worker
    after the commit."""
    notices = [
        OrderNotice.objects.create(order=order, status=order.status, recipient=address)
        for address in notice_recipients(order)
    ]
    ids = [n.pk for n in notices]

    def _enqueue() -> None:
        from klynge.dataorders.tasks import send_order_notice

        for notice_id in ids:
            send_order_notice.enqueue(notice_id)

    transaction.on_commit(_enqueue)


def notice_send(notice_id: int) -> str:
    """Send one notice (the worker); a sent one is not sent again, a failure is kept."""
    from klynge.core import mail as core_mail

    return core_mail.send_notice_once(
        OrderNotice.objects.select_related("order__cluster", "order__recipient", "order__package"),
        notice_id,
        "dataorders/mail/notice",
        lambda notice: {"order": notice.order, "status": notice.status},
    )
