"""The indicator library: reviewed YAML files in `quality/indicators/` are the source
of truth; `indicator_library_sync` copies them into the database (DATA-1)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from django.db import transaction

from klynge.quality.models import Direction, Indicator, Unit

LIBRARY = Path(__file__).resolve().parent / "indicators"
TEXT_FIELDS = ("title", "numerator", "denominator", "rationale", "source")
REQUIRED = (
    *TEXT_FIELDS,
    "code",
    "unit",
    "direction",
    "themes",
    "national",
    "author",
    "checker",
    "reviewed",
)


class LibraryError(ValueError):
    pass


def load_definitions(directory: Path = LIBRARY) -> list[dict[str, Any]]:
    """Read and check every `*.yaml` file; raise `LibraryError` naming file and field."""
    definitions = []
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        missing = [key for key in REQUIRED if key not in data]
        if missing:
            raise LibraryError(f"{path.name}: missing {', '.join(missing)}")
        if data["code"] != path.stem:
            raise LibraryError(f"{path.name}: code {data['code']!r} differs from the file name")
        if data["unit"] not in Unit.values:
            raise LibraryError(f"{path.name}: unit must be one of {Unit.values}")
        if data["direction"] not in Direction.values:
            raise LibraryError(f"{path.name}: direction must be one of {Direction.values}")
        for name in TEXT_FIELDS:
            if (
                not isinstance(data[name], dict)
                or not data[name].get("da")
                or not data[name].get("en")
            ):
                raise LibraryError(f"{path.name}: {name} needs both 'da' and 'en'")
        definitions.append(data)
    return definitions


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@transaction.atomic
def indicator_library_sync(directory: Path = LIBRARY) -> tuple[int, int]:
    """Create or update every indicator from the files; ones no longer in the library
    are marked inactive (their values stay). Returns (created, updated)."""
    created = updated = 0
    codes = []
    for data in load_definitions(directory):
        codes.append(data["code"])
        fields: dict[str, Any] = {
            f"{name}_{lang}": data[name][lang] for name in TEXT_FIELDS for lang in ("da", "en")
        }
        fields.update(
            unit=data["unit"],
            direction=data["direction"],
            themes=list(data["themes"]),
            national=bool(data["national"]),
            author=data["author"],
            checker=data["checker"],
            reviewed=_date(data["reviewed"]),
            next_review=_date(data.get("next_review")),
            active=True,
        )
        _obj, was_created = Indicator.objects.update_or_create(code=data["code"], defaults=fields)
        created += was_created
        updated += not was_created
    Indicator.objects.exclude(code__in=codes).update(active=False)
    return created, updated
