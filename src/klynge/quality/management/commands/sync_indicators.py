"""Copy the reviewed indicator definitions (`quality/indicators/*.yaml`) into the database."""

from django.core.management.base import BaseCommand, CommandError

from klynge.quality.library import LibraryError, indicator_library_sync


class Command(BaseCommand):
    help = "Sync the indicator library from its YAML files."

    def handle(self, *args, **options):
        try:
            created, updated = indicator_library_sync()
        except LibraryError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Indicator library: {created} created, {updated} updated.")
