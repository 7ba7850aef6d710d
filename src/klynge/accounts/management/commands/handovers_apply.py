"""Apply pending hand-overs whose latest date has come (run daily from cron; the worker
also runs it on each hand-over's date)."""

from django.core.management.base import BaseCommand

from klynge.accounts.services import handovers_apply_due


class Command(BaseCommand):
    help = "Hand over the coordinator's or treasurer's role where the set date has come."

    def handle(self, *args, **options):
        done = handovers_apply_due()
        self.stdout.write(f"{done} hand-over(s) applied")
