"""What a later refusal of a meeting e-mail's address means (`klynge.core.bounces`):
the dispatch is failed with the report as its error, as a refusal at SMTP time leaves
it, and shows on the meeting page with "Send again" — but it is not retried by itself,
since the address was refused for good."""

from __future__ import annotations

import logging

from django.db import transaction

from klynge.core import bounces
from klynge.meetings.models import Dispatch

logger = logging.getLogger(__name__)


@bounces.handles("dispatch")
def dispatch_refused(pk: int, report: bounces.Report) -> bool:
    """Fail a sent dispatch whose address was refused for good; a dispatch that is
    queued again, failed already or gone is left as it is. Returns whether it changed."""
    with transaction.atomic():
        dispatch = Dispatch.objects.select_for_update().filter(pk=pk).first()
        if dispatch is None or dispatch.status != Dispatch.Status.SENT:
            return False
        dispatch.status = Dispatch.Status.FAILED
        dispatch.last_error = report.summary()[:500]
        dispatch.save(update_fields=["status", "last_error"])
    logger.warning("mail to %s refused later: %s", dispatch.recipient, dispatch.last_error)
    return True
