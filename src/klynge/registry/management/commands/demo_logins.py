"""Print the demo logins created by `generate_dataset` (used by `make demo`)."""

from django.core.management.base import BaseCommand

from klynge.accounts.models import User
from klynge.registry import selectors
from klynge.registry.dataset import DEMO_DOMAIN, DEMO_PASSWORD


class Command(BaseCommand):
    help = "List the demo users and their password."

    def handle(self, *args, **options):
        users = (
            User.objects.filter(email__endswith=f"@{DEMO_DOMAIN}")
            .select_related("region")
            .order_by("id")
        )
        if not users:
            self.stdout.write("No demo users (run generate_dataset).")
            return
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
        for user in users:
            doctor = getattr(user, "doctor", None)
            if user.is_secretariat:
                role = "Nationalt sekretariat (alle klynger, admin)"
            elif user.region_id:
                role = f"Regional kvalitetsenhed, {user.region.name}"
            elif doctor:
                clusters = selectors.user_clusters(user=user)
                held = selectors.user_role_labels(user=user)
                where = ", ".join(c.name for c in clusters) or "ingen klynge"
                role = f"{doctor.name}: {held or 'medlemslæge'} i {where}"
            else:
                role = "Bruger"
            self.stdout.write(f"  {user.email:<42} {role}")
        self.stdout.write("\nOpen http://127.0.0.1:8000/ and log in with one of them.\n")
