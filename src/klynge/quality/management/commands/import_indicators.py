"""Import clinic-level indicator values from a CSV or XLSX file (DATA-2).

    python manage.py import_indicators data.csv

The whole file is checked first; on any error nothing is written, every error is
printed with its line and column, and the command exits with status 1.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from klynge.quality import services


class Command(BaseCommand):
    help = "Import indicator values (provider number, indicator, period, numerator, denominator)."
    requires_system_checks: list = []  # a data command; `manage.py check` runs in CI

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        data = file.read_bytes()
        run = services.import_run_create(actor=None, data=data, filename=file.name, source="cli")
        run = services.import_run_execute(run=run, data=data)
        if run.status == "succeeded":
            self.stdout.write(
                f"Imported {run.rows_written} rows from {file.name} "
                f"({run.rows_replaced} replaced earlier values); import #{run.pk}."
            )
            return
        for error in run.errors:
            where = f"line {error['line']}" + (
                f", column {error['column']}" if error["column"] else ""
            )
            self.stderr.write(f"{where}: {error['message']}")
        if run.error_count > len(run.errors):
            self.stderr.write(f"… and {run.error_count - len(run.errors)} more.")
        noun = "error" if run.error_count == 1 else "errors"
        raise CommandError(
            f"{file.name}: {run.error_count} {noun}; nothing was imported (import #{run.pk})."
        )
