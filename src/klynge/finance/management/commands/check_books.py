"""Verify that every cluster's books balance (FIN-3). Exit status 1 when not."""

from django.core.management.base import BaseCommand, CommandError

from klynge.finance.ledger import books_check
from klynge.finance.models import Transaction


class Command(BaseCommand):
    help = "Check that every transaction balances and uses its own cluster's accounts."

    def handle(self, *args, **options):
        problems = books_check()
        for problem in problems:
            self.stderr.write(problem)
        if problems:
            raise CommandError(f"{len(problems)} problems in the books.")
        self.stdout.write(f"The books balance: {Transaction.objects.count()} transactions checked.")
