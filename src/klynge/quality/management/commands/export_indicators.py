"""Write the stored indicator values in the import format, so an export imports back
unchanged (round trip).

    python manage.py export_indicators --output values.csv [--indicator CODE]
"""

from django.core.management.base import BaseCommand

from klynge.quality.exports import write_values_csv


class Command(BaseCommand):
    help = "Export stored indicator values as CSV in the import format."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True)
        parser.add_argument("--indicator", help="only this indicator code")

    def handle(self, *args, output, indicator, **options):
        with open(output, "w", encoding="utf-8", newline="") as fh:
            rows = write_values_csv(fh, indicator=indicator)
        self.stderr.write(f"Wrote {rows} rows to {output}")
