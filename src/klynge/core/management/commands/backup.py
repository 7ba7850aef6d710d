"""`manage.py backup DIR`: a consistent backup of the database and uploaded files."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from klynge.core import backup


class Command(BaseCommand):
    help = "Back up the database and the uploaded files into an empty folder, with a manifest."

    def add_arguments(self, parser) -> None:
        parser.add_argument("target", type=Path, help="an empty or new folder")

    def handle(self, *args, target: Path, **options) -> None:
        connection.close()  # the backup reads through its own connection and snapshot
        try:
            manifest = backup.backup(
                Path(target),
                database=settings.DATABASES["default"],
                media_root=Path(settings.MEDIA_ROOT),
            )
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        rows = sum(t["rows"] for t in manifest.tables.values())
        self.stdout.write(
            f"Backed up {len(manifest.tables)} tables ({rows} rows) and "
            f"{len(manifest.media)} files to {target}."
        )
