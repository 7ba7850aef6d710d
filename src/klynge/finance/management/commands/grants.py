"""Grants per cluster for a year (FIN-1, FIN-2).

python manage.py grants --year 2019 --format csv
"""

import csv

from django.core.management.base import BaseCommand

from klynge.finance.selectors import grant_rows

COLUMNS = [
    "cluster",
    "region",
    "capacities",
    "patients_basis",
    "start_grant",
    "operating_grant",
    "supplementary_grant",
    "total",
    "first_payout",
]


class Command(BaseCommand):
    help = "Print every cluster's grant for a year."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--format", choices=["csv"], default="csv")

    def handle(self, *args, year, **options):
        writer = csv.writer(self.stdout, lineterminator="\n")
        writer.writerow(COLUMNS)
        for row in grant_rows(year=year):
            g = row.grant
            writer.writerow(
                [
                    row.cluster.name,
                    row.region.name if row.region else "",
                    g.capacities,
                    g.patients_basis,
                    f"{g.start:.2f}",
                    f"{g.operating:.2f}",
                    f"{g.supplementary:.2f}",
                    f"{g.total:.2f}",
                    row.first_payout.isoformat() if row.first_payout else "",
                ]
            )
