"""Elections at general assemblies (GOV-2): the result is kept in the minutes and
becomes a dated role in the registry, through the registry's own rules (a single
holder hands over the same day; re-electing the sitting holder continues the term;
electing a coordinator or treasurer who has no login yet waits for their invitation to
be accepted, and the election is linked to the term when it begins)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.governance.models import Election
from klynge.meetings.models import Meeting
from klynge.registry import services as registry
from klynge.registry.models import Doctor, RoleAssignment, RoleKind


@transaction.atomic
def election_record(
    *, actor: Any, meeting: Meeting, role: str, doctor: Doctor, start: dt.date
) -> Election:
    from klynge.meetings.selectors import meeting_date, minutes_locked

    if not meeting.is_general_assembly:
        raise DomainError(_("Elections are held at general assemblies."))
    if minutes_locked(meeting):
        raise DomainError(
            _("The minutes are approved and locked. Start a correction to change them.")
        )
    if role not in RoleKind.values:
        raise DomainError(_("Choose the role."), field="role")
    if start < meeting_date(meeting):
        raise DomainError(_("The term cannot start before the general assembly."), field="start")
    assignment = registry.role_assign(
        actor=actor, cluster=meeting.cluster, doctor=doctor, role=role, start=start
    )
    if assignment is not None and Election.objects.filter(assignment=assignment).exists():
        assignment = None  # a re-election: the earlier election keeps the continued term
    election = Election.objects.create(
        meeting=meeting, role=role, doctor=doctor, start=start, assignment=assignment
    )
    audit_log(
        actor=actor,
        action="governance.election.recorded",
        target=election,
        scope=f"cluster:{meeting.cluster_id}",
        data={"role": role, "doctor": doctor.name, "start": str(start)},
    )
    return election


def election_link(*, assignment: RoleAssignment | None) -> None:
    """A pending hand-over became a term: link the election that decided it."""
    if assignment is None:
        return
    election = (
        Election.objects.filter(
            meeting__cluster=assignment.cluster_id,
            doctor=assignment.doctor_id,
            role=assignment.role,
            assignment__isnull=True,
        )
        .order_by("-id")
        .first()
    )
    if election is not None and not Election.objects.filter(assignment=assignment).exists():
        election.assignment = assignment
        election.save(update_fields=["assignment"])


def role_label(role: str) -> str:
    return str(RoleKind(role).label) if role in RoleKind.values else role
