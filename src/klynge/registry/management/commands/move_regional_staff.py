"""Move the staff of merged regions to their successor on the day it takes over
(the 2027 reform: Hovedstaden and Sjælland → Region Østdanmark, 1 January 2027).

python manage.py move_regional_staff --to 1086

The data migration of the reform did this for the staff known then, and a post started
later in a merging region continues in the successor by itself; the command is for
posts added another way (the admin). Idempotent and audited (`registry/staff.py`).
"""

from django.core.management.base import BaseCommand, CommandError

from klynge.core.errors import DomainError
from klynge.registry.models import Region
from klynge.registry.staff import staff_posts_move


class Command(BaseCommand):
    help = "Move the staff of merged regions to the successor region from the day it starts."

    def add_arguments(self, parser):
        parser.add_argument("--to", type=int, required=True, help="the successor's region code")

    def handle(self, *args, to, **options):
        successor = Region.objects.filter(pk=to).first()
        if successor is None:
            raise CommandError(f"No region with the code {to}.")
        try:
            moved = staff_posts_move(actor=None, successor=successor)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{len(moved)} staff serve {successor.name} from {successor.start}.")
