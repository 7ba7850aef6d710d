"""Print the demo logins created by `generate_dataset` (used by `make demo`)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from klynge.accounts.models import User
from klynge.core.dates import today
from klynge.demo.dataset import DEMO_DOMAIN, DEMO_PASSWORD
from klynge.registry import selectors


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
            elif region := selectors.staff_region(user, today()):
                role = f"Regional kvalitetsenhed, {region.name}"
            elif doctor:
                clusters = selectors.user_clusters(user=user)
                held = selectors.user_role_labels(user=user)
                where = ", ".join(c.name for c in clusters) or "ingen klynge"
                role = f"{doctor.name}: {held or 'medlemslæge'} i {where}"
            else:
                role = "Bruger"
            self.stdout.write(f"  {user.email:<42} {role}")
        site = settings.KLYNGE_SITE_URL.rstrip("/")
        self.stdout.write(f"\nOpen {site}/ and log in with one of them.\n")
