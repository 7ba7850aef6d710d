"""Coordinator networks (★): one per region, kept current from the registry. Its
members are the coordinators in office today of the region's clusters, and the board
members of those clusters who opted in; nobody maintains a list by hand. The region's
unit and the secretariat take part too (they read and write, and are not mailed). A
message to the network is mailed to every member through the worker and stays on the
network's page.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from klynge.core import mail as core_mail
from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.core.permissions import Role
from klynge.meetings.models import Meeting
from klynge.registry.models import (
    BOARD_ROLES,
    AreaLayer,
    Doctor,
    Region,
    RoleAssignment,
    RoleKind,
)
from klynge.registry.selectors import in_region, staff_scope
from klynge.support.models import NetworkMail, NetworkMessage, NetworkOptIn

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Member:
    doctor: Doctor
    cluster: str
    role: str  # the role's label
    coordinator: bool

    @property
    def email(self) -> str:
        user = self.doctor.user
        return (user.email if user else "") or self.doctor.email


def members(*, region: Region, on: dt.date) -> list[Member]:
    """Today's coordinators of the region's active clusters, and their board members
    who opted in; one entry per doctor (a coordinator first)."""
    opted = set(NetworkOptIn.objects.values_list("user_id", flat=True))
    roles = (
        RoleAssignment.objects.active_on(on)  # type: ignore[attr-defined]
        .filter(role__in={RoleKind.COORDINATOR, *BOARD_ROLES})
        .filter(in_region(region, on, field="cluster__municipality"))
        .filter(cluster__founded__lte=on)
        .exclude(cluster__dissolved__lte=on)
        .select_related("doctor__user", "cluster")
        .order_by("cluster__name", "id")
    )
    found: dict[int, Member] = {}
    for r in roles:
        coordinator = r.role == RoleKind.COORDINATOR
        if not coordinator and r.doctor.user_id not in opted:
            continue
        if r.doctor_id in found and found[r.doctor_id].coordinator:
            continue
        found[r.doctor_id] = Member(r.doctor, r.cluster.name, r.get_role_display(), coordinator)
    return sorted(found.values(), key=lambda m: (not m.coordinator, m.cluster, m.doctor.name))


def takes_part(*, user: Any, region: Region, on: dt.date) -> bool:
    """Members, the region's unit and the secretariat see and write to the network."""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_secretariat", False):
        return True
    scope = staff_scope(user, on)
    if scope is not None and scope.pk == region.pk:
        return True
    return any(m.doctor.user_id == user.pk for m in members(region=region, on=on))


def network_roles(user: Any, region: Region) -> set[Role]:
    """The permission engine's resolver for a region as a coordinator network, and so
    for the network's meetings (`meetings.selectors.user_meeting_roles`): its organisers
    (the region's unit in post today, the secretariat) hold the coordinator's role on it,
    the region's unit its regional role too; its members hold the member's role."""
    roles: set[Role] = set()
    if region.layer != AreaLayer.REGION:
        return roles
    on = today()
    if getattr(user, "is_secretariat", False):
        roles.add(Role.COORDINATOR)
    scope = staff_scope(user, on)
    if scope is not None and scope.pk == region.pk:
        roles |= {Role.REGION, Role.COORDINATOR}
    if any(m.doctor.user_id == user.pk for m in members(region=region, on=on)):
        roles.add(Role.MEMBER)
    return roles


def my_networks(*, user: Any, on: dt.date) -> list[Region]:
    """The networks (regions in force on `on`) the user takes part in."""
    from klynge.registry.selectors import regions_on

    return [r for r in regions_on(on) if takes_part(user=user, region=r, on=on)]


def coordinated_clusters(*, user: Any, on: dt.date) -> list[Any]:
    """The clusters the user coordinates on `on` (their hand-over pack is linked)."""
    if not getattr(user, "is_authenticated", False):
        return []
    return [
        r.cluster
        for r in RoleAssignment.objects.active_on(on)  # type: ignore[attr-defined]
        .filter(role=RoleKind.COORDINATOR, doctor__user=user)
        .select_related("cluster")
    ]


def may_opt_in(*, user: Any, on: dt.date) -> bool:
    """Board members of an active cluster may opt in; a coordinator is in the network
    already (also one who sits on a board)."""
    roles = RoleAssignment.objects.active_on(on).filter(doctor__user=user)  # type: ignore[attr-defined]
    return (
        roles.filter(role__in=BOARD_ROLES).exists()
        and not roles.filter(role=RoleKind.COORDINATOR).exists()
    )


def opt_in(*, user: Any, on: dt.date | None = None) -> NetworkOptIn:
    on = on or timezone.localdate()
    if not may_opt_in(user=user, on=on):
        raise DomainError(_("Only board members opt in; coordinators are in their network."))
    with transaction.atomic():
        entry, created = NetworkOptIn.objects.get_or_create(user=user)
        if created:
            audit_log(actor=user, action="support.network.opt_in", target=entry, scope="support")
    return entry


def opt_out(*, user: Any) -> None:
    with transaction.atomic():
        entry = NetworkOptIn.objects.filter(user=user).first()
        if entry is None:
            raise DomainError(_("You have not opted in."))
        audit_log(actor=user, action="support.network.opt_out", target=entry, scope="support")
        entry.delete()


def message_post(
    *, actor: Any, region: Region, subject: str, body: str, on: dt.date | None = None
) -> NetworkMessage:
    """Post to the network: kept on its page, and one e-mail per member with an address,
    queued for the worker when the transaction commits."""
    on = on or timezone.localdate()
    if not takes_part(user=actor, region=region, on=on):
        raise DomainError(
            _("Only the network's members, its unit and the secretariat write to it.")
        )
    if not subject.strip() or not body.strip():
        raise DomainError(_("Write a subject and a message."), field="body")
    with transaction.atomic():
        message = NetworkMessage.objects.create(
            region=region, author=actor, subject=subject.strip(), body=body.strip()
        )
        seen: set[str] = set()
        mails = []
        for member in members(region=region, on=on):
            email = member.email.strip().lower()
            if not email or email in seen:
                continue
            seen.add(email)
            mails.append(
                NetworkMail.objects.create(message=message, email=email, name=member.doctor.name)
            )
        audit_log(
            actor=actor,
            action="support.network.message",
            target=message,
            scope="support",
            data={"region": region.pk, "mails": len(mails)},
        )
        ids = [m.pk for m in mails]

        def _enqueue() -> None:
            from klynge.support.tasks import send_network_mail

            for mail_id in ids:
                send_network_mail.enqueue(mail_id)

        transaction.on_commit(_enqueue)
    return message


def network_mail_send(mail_id: int) -> str:
    """Send one member's copy; a failure is kept on the row with its error."""
    with transaction.atomic():
        mail = (
            NetworkMail.objects.select_for_update(of=("self",))
            .select_related("message__region", "message__author")
            .get(pk=mail_id)
        )
        if mail.status == NetworkMail.Status.SENT:
            return "skipped"
        mail.attempts += 1
        context = {"message": mail.message, "site_url": settings.KLYNGE_SITE_URL}
        built = core_mail.build("support/mail/network", context, to=[mail.email])
        try:
            built.send()
        except Exception as error:  # SMTP/socket failure: keep it visible
            mail.status = NetworkMail.Status.FAILED
            mail.last_error = f"{type(error).__name__}: {error}"[:500]
            logger.warning("network mail %s failed: %s", mail.pk, mail.last_error)
        else:
            mail.status = NetworkMail.Status.SENT
            mail.last_error = ""
        mail.save(update_fields=["status", "attempts", "last_error"])
        return str(mail.status)


def network_meetings(*, region: Region) -> list[Meeting]:
    """The network's meetings (`meetings.Meeting` with `network` set): the coming ones
    and those without a date first, soonest first; then the held ones, latest first."""
    meetings = list(Meeting.objects.filter(network=region).order_by("-starts", "-id"))
    now = timezone.now()
    upcoming = sorted(
        (m for m in meetings if not m.starts or m.starts >= now),
        key=lambda m: (m.starts is not None, m.starts or now),
    )
    return upcoming + [m for m in meetings if m.starts and m.starts < now]


def has_opted_in(*, user: Any) -> bool:
    return NetworkOptIn.objects.filter(user_id=getattr(user, "pk", None) or 0).exists()
