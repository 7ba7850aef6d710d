"""Write the register export (REG-8) as CSV or XLSX.

python manage.py export_register --format csv --output klynger.csv
python manage.py export_register --format xlsx --output klynger.xlsx --date 2025-01-01
python manage.py export_register --date 2027-01-15 --region 1086

The region of each cluster is the one its municipality belongs to on `--date` (from 1
January 2027 Region Østdanmark instead of Hovedstaden and Sjælland). A region and a
municipality that do not go together on that date are refused and nothing is written.

This is the machine form, for programs: RFC 4180 CSV (comma, decimal point, ISO dates,
UTF-8 without a byte-order mark) with English keys as headers. People who open the
register in a spreadsheet download it from the cluster overview instead (semicolons,
decimal comma and Danish headers, as Danish Excel reads them).
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.registry import exports


class Command(BaseCommand):
    help = (
        "Export one row per cluster: region, municipality, size and founding date, as "
        "RFC 4180 CSV for programs (comma, decimal point, no BOM) or XLSX."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="file to write; '-' or nothing writes CSV to stdout")
        parser.add_argument(
            "--date", help="the register as it stood on this ISO date (default today)"
        )
        parser.add_argument("--region", type=int, help="only this region's code (e.g. 1086)")
        parser.add_argument("--municipality", type=int, help="only this municipality's code")

    def handle(self, *args, format, output, date, region, municipality, **options):
        try:
            on = dt.date.fromisoformat(date) if date else today()
        except ValueError as exc:
            raise CommandError(f"--date must be an ISO date like 2025-01-01, not {date!r}") from exc
        try:
            rows = exports.register_rows(on=on, region=region, municipality=municipality)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        if format == "xlsx":
            if not output or output == "-":
                raise CommandError("XLSX needs --output FILE")
            with open(output, "wb") as fh:
                exports.write_xlsx(rows, fh)
        elif not output or output == "-":
            exports.write_csv(rows, self.stdout)
        else:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                exports.write_csv(rows, fh)
        if output and output != "-":
            self.stderr.write(f"Wrote {len(rows)} clusters to {output}")
