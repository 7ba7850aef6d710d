"""`manage.py process_bounces`: read the delivery reports that came back to the bounce
mailbox (a Maildir, `KLYNGE_BOUNCE_MAILDIR`, and/or IMAP, `KLYNGE_BOUNCE_IMAP_*`), mark
the invitations and meeting e-mails whose address was refused for good, and move each
message to the mailbox's `Processed` or `Kept` folder (see `klynge.core.bounces`).

Run it every few minutes from cron or a systemd timer, like `recover_tasks`: the task
worker has no schedule of its own, and a timer also keeps the mailbox's password out of
the worker. Safe to run twice, or in two places at once: a message already recorded
changes nothing. A message that cannot be read is kept and counted, never fatal; a
mailbox that cannot be opened is (exit status 1), so cron reports it."""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError, CommandParser

from klynge.core import bounces
from klynge.core.models import Bounce


class Command(BaseCommand):
    help = "Read delivery reports from the bounce mailbox and mark refused addresses."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--maildir", help="read this Maildir instead of the configured mailboxes"
        )

    def handle(self, *args, **options) -> None:
        if options["maildir"]:
            path = options["maildir"]
            boxes = [(f"Maildir {path}", lambda: bounces.maildir_process(path))]
        else:
            boxes = list(bounces.configured_mailboxes())
        if not boxes:
            raise CommandError(
                "No bounce mailbox: set KLYNGE_BOUNCE_MAILDIR or KLYNGE_BOUNCE_IMAP_HOST "
                "(docs/operations.md)."
            )
        failed = []
        for label, read in boxes:
            try:
                counts: Counter[str] = read()
            except Exception as error:  # the mailbox itself: unreachable, login refused
                failed.append(f"{label}: {type(error).__name__}: {error}")
                continue
            self.stdout.write(f"{label}: {self._line(counts)}")
        if failed:
            raise CommandError("; ".join(failed))

    @staticmethod
    def _line(counts: Counter[str]) -> str:
        names = [*Bounce.Outcome.values, "error"]
        read = sum(counts.values())
        return f"{read} read; " + ", ".join(f"{name} {counts[name]}" for name in names)
