"""Make an API token for a user and print the key once.

The key is stored only as its SHA-256 (`accounts.ApiToken`), so it cannot be shown
again: whoever runs this passes it on, and a lost key is revoked (admin) and replaced.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from klynge.accounts.models import User
from klynge.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Make an API token for the user with this e-mail; the key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="what the token is for")

    def handle(self, *args, **options):
        try:
            user = User.objects.get(email__iexact=options["email"].strip(), is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"No active user with the e-mail {options['email']}.") from exc
        token, key = api_token_create(actor=None, user=user, name=options["name"])
        self.stderr.write(
            f"Token {token.prefix}… for {user.email}. The key is shown only now; keep it safe:"
        )
        self.stdout.write(key)
