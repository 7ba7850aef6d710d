"""`manage.py restore DIR --database-url URL --media-root DIR`: load a backup into an
empty database and folder, then check every count and checksum against its manifest."""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from klynge.core import backup


class Command(BaseCommand):
    help = "Restore a backup into an empty database and media folder and verify it."

    def add_arguments(self, parser) -> None:
        parser.add_argument("source", type=Path, help="a folder written by `manage.py backup`")
        parser.add_argument(
            "--database-url", help="the empty target database (default: the configured one)"
        )
        parser.add_argument(
            "--media-root", type=Path, help="the empty target folder (default: MEDIA_ROOT)"
        )

    def handle(self, *args, source, database_url=None, media_root=None, **options) -> None:
        database = (
            dj_database_url.parse(database_url) if database_url else settings.DATABASES["default"]
        )
        try:
            differences = backup.restore(
                Path(source),
                database=database,
                media_root=Path(media_root or settings.MEDIA_ROOT),
            )
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        if differences:
            for line in differences:
                self.stderr.write(line)
            raise CommandError(f"The restore differs from the backup in {len(differences)} places.")
        manifest = backup.read_manifest(Path(source))
        self.stdout.write(
            f"Restored and verified {len(manifest.tables)} tables and {len(manifest.media)} files: "
            "every count and checksum is identical."
        )
