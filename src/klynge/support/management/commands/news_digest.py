"""`manage.py news_digest`: queue today's news digest, one e-mail per subscriber with
what they may read since their last one (daily, from cron or a systemd timer)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from klynge.support import services


class Command(BaseCommand):
    help = "Queue the news digest for every member who asked for it."

    def handle(self, *args, **options) -> None:
        queued = services.digest_queue()
        self.stdout.write(f"News digests queued: {len(queued)}.")
