"""Elections at general assemblies (GOV-2): the result is kept in the minutes and
becomes a dated role in the registry, through the registry's own rules (a single
holder hands over the same day)."""

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
from klynge.registry.models import Doctor, RoleKind


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


def role_label(role: str) -> str:
    return str(RoleKind(role).label) if role in RoleKind.values else role
