"""`manage.py recover_tasks`: imports whose worker died are queued again (or marked
interrupted when their attempts are spent); e-mails no worker will send (their worker
died mid-send) are handed to the worker again. Run it every few minutes (cron or a
systemd timer) beside the worker; see docs/operations.md."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from klynge.meetings import mail
from klynge.quality import services


class Command(BaseCommand):
    help = (
        "Queue again the imports and e-mails whose worker died; mark imports out of "
        "attempts interrupted."
    )

    def handle(self, *args, **options) -> None:
        requeued, interrupted = services.import_runs_recover()
        self.stdout.write(f"Imports queued again: {requeued}; marked interrupted: {interrupted}.")
        self.stdout.write(f"E-mails queued again: {mail.dispatches_recover()}.")
