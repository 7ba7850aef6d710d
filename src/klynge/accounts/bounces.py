"""What a later refusal of an invitation's address means (`klynge.core.bounces`): the
invitation is marked refused, as a refusal at SMTP time marks it."""

from __future__ import annotations

from klynge.accounts import services
from klynge.core import bounces


@bounces.handles("invitation")
def invitation_refused(pk: int, report: bounces.Report) -> bool:
    return services.invitation_bounce(invitation_id=pk, reason=report.summary())
