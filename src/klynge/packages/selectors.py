"""Package reads: what a visitor may see, a version's changes against the one before it,
and the overlaps between publishers on the same theme."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from klynge.packages.models import ExtractionGuide, Package, PackageVersion, VersionStatus
from klynge.registry.models import Region


def publisher_of(user: Any) -> Region | None:
    """The region whose packages `user` publishes today (from the dated staff posts)."""
    from klynge.registry.selectors import staff_region

    return staff_region(user)


def can_edit(user: Any, package: Package) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_secretariat", False):
        return True
    own = publisher_of(user)
    return own is not None and own.pk == package.publisher_id


def published_versions(*, theme: str = "") -> QuerySet[PackageVersion]:
    qs = (
        PackageVersion.objects.filter(status=VersionStatus.PUBLISHED)
        .select_related("package__publisher", "follow_up")
        .order_by("package__theme", "title")
    )
    if theme:
        qs = qs.filter(package__theme=theme)
    return qs


def published_version(package: Package) -> PackageVersion | None:
    return package.versions.filter(status=VersionStatus.PUBLISHED).first()


def drafts_for(user: Any) -> QuerySet[PackageVersion]:
    """The drafts (and reviewed drafts) the user can work on."""
    qs = PackageVersion.objects.filter(
        status__in=[VersionStatus.DRAFT, VersionStatus.REVIEWED]
    ).select_related("package__publisher")
    if getattr(user, "is_secretariat", False):
        return qs
    own = publisher_of(user)
    if own is None:
        return qs.none()
    return qs.filter(package__publisher=own)


def themes() -> list[str]:
    return sorted(set(published_versions().values_list("package__theme", flat=True)))


def version_detail(pk: int) -> PackageVersion | None:
    return (
        PackageVersion.objects.select_related("package__publisher", "follow_up")
        .prefetch_related(
            "indicators",
            Prefetch("guides", queryset=ExtractionGuide.objects.select_related("system")),
            "files",
        )
        .filter(pk=pk)
        .first()
    )


# --- What changed -------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: str
    after: str


def _show(version: PackageVersion, name: str) -> str:
    if name == "agenda":
        return "\n".join(
            f"{e['title']} ({e['duration']} min)" if e.get("duration") else e["title"]
            for e in version.agenda
        )
    if name == "indicators":
        return ", ".join(sorted(i.code for i in version.indicators.all()))
    if name == "guides":
        return "\n".join(f"{g.system.name}: {g.text}" for g in version.guides.all())
    if name == "follow_up":
        return version.follow_up.theme if version.follow_up else ""
    if name == "files":
        return "\n".join(sorted(f.name for f in version.files.all()))
    value = getattr(version, name)
    return "" if value is None else str(value)


DIFF_FIELDS = (
    ("title", _("title")),
    ("why", _("why it matters")),
    ("summary", _("guideline summary")),
    ("agenda", _("suggested meeting structure")),
    ("indicators", _("indicators")),
    ("guides", _("data-extraction guides")),
    ("lead_time_days", _("lead time for data (days)")),
    ("prerequisites", _("prerequisites")),
    ("follow_up", _("follow-up package")),
    ("revision_date", _("revision date")),
    ("reviewer", _("reviewer")),
    ("files", _("files")),
)


def diff(old: PackageVersion | None, new: PackageVersion) -> list[Change]:
    """Field by field, what `new` changes against `old` (everything when `old` is None)."""
    changes = []
    for name, label in DIFF_FIELDS:
        before = _show(old, name) if old is not None else ""
        after = _show(new, name)
        if before != after:
            changes.append(Change(field=name, label=str(label), before=before, after=after))
    return changes


def previous_version(version: PackageVersion) -> PackageVersion | None:
    return (
        PackageVersion.objects.filter(package=version.package_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def changes_since_previous(version: PackageVersion) -> list[Change]:
    previous = previous_version(version)
    return diff(previous, version) if previous is not None else []


# --- Overlaps -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Overlap:
    other: PackageVersion
    differences: list[Change]


def overlaps(version: PackageVersion) -> list[Overlap]:
    """Published packages on the same theme from other publishers, with how they differ
    from `version`: what a publisher sees before publishing."""
    others = published_versions(theme=version.package.theme).exclude(package=version.package_id)
    if version.package.publisher_id is None:
        others = others.exclude(package__publisher__isnull=True)
    else:
        others = others.exclude(package__publisher=version.package.publisher_id)
    return [Overlap(other=o, differences=diff(version, o)) for o in others]


@dataclass(frozen=True)
class SideBySide:
    theme: str
    versions: list[PackageVersion]
    rows: list[tuple[str, list[str], bool]]  # label, one value per version, differs


def side_by_side(theme: str) -> SideBySide:
    """Every published package on `theme`, field by field in columns; rows that differ
    between publishers are flagged."""
    versions = list(
        published_versions(theme=theme).prefetch_related("indicators", "guides__system")
    )
    rows = []
    for name, label in DIFF_FIELDS:
        values = [_show(v, name) for v in versions]
        rows.append((str(label), values, len(set(values)) > 1))
    return SideBySide(theme=theme, versions=versions, rows=rows)


def overlapping_themes() -> list[str]:
    """Themes with published packages from more than one publisher."""
    seen: dict[str, set[Any]] = {}
    for theme, publisher in published_versions().values_list(
        "package__theme", "package__publisher"
    ):
        seen.setdefault(theme, set()).add(publisher)
    return sorted(t for t, publishers in seen.items() if len(publishers) > 1)
