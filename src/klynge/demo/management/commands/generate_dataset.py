"""Build the synthetic national register (see `klynge.demo.dataset`).

python manage.py generate_dataset --scale denmark --seed 1
python manage.py generate_dataset --scale denmark --seed 1 --today 2027-03-15 --replace
python manage.py generate_dataset --scale england --seed 1 --replace
    (England's data pack: NHS regions and integrated care boards, practice codes
    A12345, network codes U12345; serve it with KLYNGE_JURISDICTION=england for pounds)

The demo is placed around `--today` (default: the real date): indicator values through
the month before it, this year's books, past and upcoming meetings. The same seed and
day give the same data byte for byte.
"""

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from klynge.demo import dataset


def _day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}.") from exc


class Command(BaseCommand):
    help = "Generate the deterministic synthetic register (clinics, doctors, clusters, demo users)."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(dataset.SCALES), default="denmark")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--today",
            type=str,
            default=None,
            help="the day the demo is placed around, YYYY-MM-DD (default: today's date)",
        )
        parser.add_argument(
            "--replace", action="store_true", help="delete the existing register first"
        )
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when clusters exist"
        )
        parser.add_argument("--no-users", action="store_true", help="skip the demo logins")
        parser.add_argument(
            "--no-indicators", action="store_true", help="skip the 60 months of indicator values"
        )

    def handle(
        self, *args, scale, seed, today, replace, if_empty, no_users, no_indicators, **options
    ):
        from klynge.registry.models import Cluster

        day = _day(today) if today else timezone.localdate()
        if if_empty and Cluster.objects.exists():
            self.stdout.write("The register already has data; nothing generated.")
            return
        if replace:
            dataset.clear()
        try:
            summary = dataset.generate(
                scale_name=scale, seed=seed, with_users=not no_users, today=day
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Generated '{summary.scale}' (seed {summary.seed}): {summary.regions} regions, "
            f"{summary.municipalities} municipalities, {summary.clinics} clinics "
            f"({summary.unclustered_clinics} in no cluster), {summary.doctors} doctors, "
            f"{summary.clusters} clusters."
        )
        self.stdout.write(f"Placed around {summary.today.isoformat()}.")
        ran = dataset.run_extensions(
            seed=seed,
            today=day,
            skip={"indicators"} if no_indicators else set(),
            scale_name=scale,
        )
        if ran:
            self.stdout.write(f"Also generated: {', '.join(ran)}.")
