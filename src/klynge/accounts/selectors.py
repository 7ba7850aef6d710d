"""Reading accounts: who in a cluster can log in (invited, active, bounced), pending
hand-overs, clusters nobody can run, and the invitation behind a link."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core import signing
from django.utils.translation import gettext_lazy as _

from klynge.accounts.models import Handover, Invitation
from klynge.accounts.services import INVITATION_SALT, has_login
from klynge.registry.models import Cluster, Doctor, Participation, RoleAssignment, RoleKind


class Status:
    ACTIVE = "active"
    INVITED = "invited"
    FAILED = "failed"
    BOUNCED = "bounced"
    EXPIRED = "expired"
    NONE = "none"  # no login, not invited (no e-mail)


STATUS_LABELS = {
    Status.ACTIVE: _("Active"),
    Status.INVITED: _("Invited"),
    Status.FAILED: _("Invitation not delivered"),
    Status.BOUNCED: _("E-mail address refused"),
    Status.EXPIRED: _("Invitation expired"),
    Status.NONE: _("No login"),
}


def invitation_from_token(token: str) -> Invitation | None:
    """The invitation a link names, or None for a forged or mangled link."""
    try:
        pk, nonce = signing.Signer(salt=INVITATION_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return (
        Invitation.objects.select_related("doctor", "cluster", "region")
        .filter(pk=pk, nonce=nonce)
        .first()
    )


def invitation_status(invitation: Invitation | None, *, user_active: bool, now: dt.datetime) -> str:
    if user_active:
        return Status.ACTIVE
    if invitation is None:
        return Status.NONE
    if invitation.mail_status == Invitation.Mail.FAILED:
        return Status.FAILED
    if invitation.mail_status == Invitation.Mail.BOUNCED:
        return Status.BOUNCED
    if invitation.expires <= now:
        return Status.EXPIRED
    return Status.INVITED


@dataclass
class Person:
    doctor: Doctor
    roles: list[str]
    status: str
    status_label: str
    invitation: Invitation | None  # the newest one
    email: str


def cluster_people(*, cluster: Cluster, on: dt.date, now: dt.datetime) -> list[Person]:
    """The cluster's participating doctors on `on` with their roles and login status."""
    doctors = list(
        Doctor.objects.filter(
            pk__in=Participation.objects.active_on(on).filter(cluster=cluster).values("doctor_id")
        )
        .select_related("user", "clinic")
        .order_by("name")
    )
    newest: dict[int, Invitation] = {}
    for row in Invitation.objects.filter(doctor__in=doctors, superseded__isnull=True):
        if row.doctor_id is not None and row.doctor_id not in newest:
            newest[row.doctor_id] = row  # ordered newest first
    roles: dict[int, list[str]] = {}
    for term in RoleAssignment.objects.active_on(on).filter(cluster=cluster):
        roles.setdefault(term.doctor_id, []).append(str(term.get_role_display()))
    people = []
    for doctor in doctors:
        invitation = newest.get(doctor.pk)
        status = invitation_status(invitation, user_active=has_login(doctor.user), now=now)
        people.append(
            Person(
                doctor=doctor,
                roles=roles.get(doctor.pk, []),
                status=status,
                status_label=str(STATUS_LABELS[status]),
                invitation=invitation,
                email=doctor.user.email if doctor.user else doctor.email,
            )
        )
    return people


def pending_handovers(*, cluster: Cluster) -> list[Handover]:
    return list(
        Handover.objects.filter(cluster=cluster, completed__isnull=True).select_related("doctor")
    )


def staff_invitations(*, region=None, secretariat: bool = False) -> list[Invitation]:
    """Open staff invitations: every one for the secretariat, a region's own otherwise."""
    qs = Invitation.objects.filter(doctor__isnull=True, superseded__isnull=True).select_related(
        "region", "user"
    )
    if not secretariat:
        qs = qs.filter(region=region)
    return list(qs[:200])


@dataclass
class Orphan:
    cluster: Cluster
    coordinator: Doctor | None
    candidates: list[Doctor]


def orphaned_clusters(*, on: dt.date, limit: int = 50) -> tuple[int, list[Orphan]]:
    """Clusters in force on `on` whose coordinator (if any) cannot log in, and for which
    no hand-over is pending: nobody can run them. Returns how many there are and the
    first `limit` of them with their participating doctors."""
    clusters = Cluster.objects.filter(founded__lte=on).exclude(dissolved__lte=on).order_by("name")
    coordinators = {
        term.cluster_id: term.doctor
        for term in RoleAssignment.objects.active_on(on)
        .filter(role=RoleKind.COORDINATOR, cluster__in=clusters)
        .select_related("doctor__user")
    }
    pending = set(
        Handover.objects.filter(completed__isnull=True, role=RoleKind.COORDINATOR).values_list(
            "cluster_id", flat=True
        )
    )
    orphans = []
    for cluster in clusters:
        coordinator = coordinators.get(cluster.pk)
        if coordinator is not None and has_login(coordinator.user):
            continue
        if cluster.pk in pending:
            continue
        orphans.append(Orphan(cluster=cluster, coordinator=coordinator, candidates=[]))
    total, orphans = len(orphans), orphans[:limit]
    if orphans:
        by_cluster: dict[int, list[Doctor]] = {}
        for participation in (
            Participation.objects.active_on(on)
            .filter(cluster__in=[o.cluster for o in orphans])
            .select_related("doctor__user")
            .order_by("doctor__name")
        ):
            by_cluster.setdefault(participation.cluster_id, []).append(participation.doctor)
        for orphan in orphans:
            orphan.candidates = by_cluster.get(orphan.cluster.pk, [])
    return total, orphans
