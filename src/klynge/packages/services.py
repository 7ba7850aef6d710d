"""Package writes: a publisher (a regional unit's staff or the secretariat) drafts,
reviews, publishes and revises packages; a coordinator adopts one for a meeting.
Each function owns its transaction, checks the rule it guards and writes an audit entry."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klynge.core.errors import DomainError
from klynge.core.formatting import format_date
from klynge.core.models import audit_log
from klynge.packages import selectors
from klynge.packages.models import (
    EhrSystem,
    ExtractionGuide,
    Package,
    PackageFile,
    PackageVersion,
    VersionStatus,
)
from klynge.registry.models import Region

CONTENT_FIELDS = (
    "title",
    "why",
    "summary",
    "agenda",
    "lead_time_days",
    "prerequisites",
    "follow_up",
    "revision_date",
    "reviewer",
)


def _scope(package: Package) -> str:
    return f"region:{package.publisher_id}" if package.publisher_id else "secretariat"


def check_publisher(actor: Any, package: Package | None = None, region: Region | None = None):
    """Only the publisher's own staff (or the secretariat) change a package: region staff
    for their region's packages, the secretariat for its own and any region's."""
    target = package.publisher if package is not None else region
    if getattr(actor, "is_secretariat", False):
        return
    own = selectors.publisher_of(actor)
    if own is None or target is None or own.pk != target.pk:
        raise DomainError(_("Only the publisher's own staff can change this package."))


def _clean_agenda(agenda: list[dict[str, Any]]) -> list[dict[str, Any]]:
    items = []
    for entry in agenda:
        title = " ".join(str(entry.get("title", "")).split())
        if not title:
            continue
        duration = entry.get("duration")
        items.append(
            {
                "title": title[:300],
                "duration": int(duration) if duration not in (None, "") else None,
                "description": str(entry.get("description", "")).strip(),
            }
        )
    return items


def _apply(version: PackageVersion, fields: dict[str, Any]) -> None:
    unknown = set(fields) - set(CONTENT_FIELDS) - {"indicators", "guides", "change_note"}
    if unknown:
        raise TypeError(f"unknown fields {unknown}")
    for name in CONTENT_FIELDS:
        if name in fields:
            value = fields[name]
            if name == "agenda":
                value = _clean_agenda(value or [])
            setattr(version, name, value)
    if "change_note" in fields:
        version.change_note = fields["change_note"]
    version.title = " ".join(version.title.split())
    if not version.title:
        raise DomainError(_("Give the package a title."), field="title")
    if version.follow_up_id and version.follow_up_id == version.package_id:
        raise DomainError(_("A package cannot follow itself."), field="follow_up")
    version.save()
    if "indicators" in fields:
        version.indicators.set(list(fields["indicators"]))
    if "guides" in fields:
        version.guides.all().delete()
        ExtractionGuide.objects.bulk_create(
            ExtractionGuide(version=version, system=system, text=text.strip())
            for system, text in fields["guides"].items()
            if text and text.strip()
        )


@transaction.atomic
def package_create(
    *, actor: Any, theme: str, publisher: Region | None, **fields: Any
) -> PackageVersion:
    """A new package with its first version as a draft. `publisher` None is the national
    secretariat (its staff only)."""
    theme = " ".join(theme.split()).lower()
    if not theme:
        raise DomainError(_("Give the package a theme."), field="theme")
    if publisher is None and not getattr(actor, "is_secretariat", False):
        raise DomainError(_("Only the secretariat publishes national packages."))
    if publisher is not None:
        check_publisher(actor, region=publisher)
    package = Package.objects.create(
        theme=theme,
        publisher=publisher,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    version = PackageVersion(package=package, number=1, title=fields.get("title", ""))
    _apply(version, fields)
    audit_log(
        actor=actor,
        action="packages.package.created",
        target=package,
        scope=_scope(package),
        data={"theme": theme, "title": version.title},
    )
    return version


def _lock(version: PackageVersion) -> PackageVersion:
    return PackageVersion.objects.select_for_update().select_related("package").get(pk=version.pk)


@transaction.atomic
def version_update(*, actor: Any, version: PackageVersion, **fields: Any) -> PackageVersion:
    """Change a draft (a reviewed draft goes back to draft: it must be reviewed again)."""
    version = _lock(version)
    check_publisher(actor, version.package)
    if version.status not in (VersionStatus.DRAFT, VersionStatus.REVIEWED):
        raise DomainError(_("A published version is not changed; start a new version."))
    version.status = VersionStatus.DRAFT
    version.reviewed_at = None
    _apply(version, fields)
    audit_log(
        actor=actor,
        action="packages.version.changed",
        target=version,
        scope=_scope(version.package),
        data={"number": version.number, "fields": sorted(fields)},
    )
    return version


@transaction.atomic
def version_review(*, actor: Any, version: PackageVersion) -> PackageVersion:
    """The named reviewer has read the draft: it may now be published."""
    version = _lock(version)
    check_publisher(actor, version.package)
    if version.status != VersionStatus.DRAFT:
        raise DomainError(_("Only a draft can be marked as reviewed."))
    if not version.reviewer.strip():
        raise DomainError(_("Name the reviewer before the draft is marked as reviewed."))
    version.status, version.reviewed_at = VersionStatus.REVIEWED, timezone.now()
    version.save(update_fields=["status", "reviewed_at"])
    audit_log(
        actor=actor,
        action="packages.version.reviewed",
        target=version,
        scope=_scope(version.package),
        data={"number": version.number, "reviewer": version.reviewer},
    )
    return version


@transaction.atomic
def version_publish(*, actor: Any, version: PackageVersion) -> PackageVersion:
    """Publish a reviewed version; the version published before it is superseded."""
    version = _lock(version)
    check_publisher(actor, version.package)
    if version.status != VersionStatus.REVIEWED:
        raise DomainError(_("A draft is reviewed before it is published."))
    if version.revision_date is None:
        raise DomainError(_("Set a revision date before publishing."), field="revision_date")
    PackageVersion.objects.filter(package=version.package, status=VersionStatus.PUBLISHED).update(
        status=VersionStatus.SUPERSEDED
    )
    version.status, version.published_at = VersionStatus.PUBLISHED, timezone.now()
    version.save(update_fields=["status", "published_at"])
    audit_log(
        actor=actor,
        action="packages.version.published",
        target=version,
        scope=_scope(version.package),
        data={"number": version.number},
    )
    return version


@transaction.atomic
def version_new(*, actor: Any, package: Package) -> PackageVersion:
    """Start the next version as a copy of the newest one (there is one draft at a time)."""
    package = Package.objects.select_for_update().get(pk=package.pk)
    check_publisher(actor, package)
    newest = package.versions.order_by("-number").first()
    assert newest is not None
    if newest.status in (VersionStatus.DRAFT, VersionStatus.REVIEWED):
        raise DomainError(_("The package already has a draft; change that one."))
    number = (package.versions.aggregate(m=Max("number"))["m"] or 0) + 1
    version = PackageVersion.objects.create(
        package=package,
        number=number,
        **{name: getattr(newest, name) for name in CONTENT_FIELDS},
    )
    version.indicators.set(newest.indicators.all())
    ExtractionGuide.objects.bulk_create(
        ExtractionGuide(version=version, system_id=g.system_id, text=g.text)
        for g in newest.guides.all()
    )
    # The files carry over too: the new row points at the same stored file.
    PackageFile.objects.bulk_create(
        PackageFile(version=version, name=f.name, file=f.file.name, size_bytes=f.size_bytes)
        for f in newest.files.all()
    )
    audit_log(
        actor=actor,
        action="packages.version.started",
        target=version,
        scope=_scope(package),
        data={"number": number, "from": newest.number},
    )
    return version


PACKAGE_FILES = (".pdf", ".docx", ".odt", ".xlsx", ".pptx")


def _draft_for_change(actor: Any, version: PackageVersion) -> PackageVersion:
    version = _lock(version)
    check_publisher(actor, version.package)
    if version.status not in (VersionStatus.DRAFT, VersionStatus.REVIEWED):
        raise DomainError(_("A published version is not changed; start a new version."))
    if version.status == VersionStatus.REVIEWED:  # changed: it must be reviewed again
        version.status, version.reviewed_at = VersionStatus.DRAFT, None
        version.save(update_fields=["status", "reviewed_at"])
    return version


@transaction.atomic
def file_add(*, actor: Any, version: PackageVersion, upload: Any) -> PackageFile:
    """Attach a file (a guideline, a slide set, a data template) to a draft, checked by
    type, content and size like every uploaded document."""
    from django.conf import settings

    from klynge.core import uploads

    version = _draft_for_change(actor, version)
    uploads.checked_suffix(
        upload,
        allowed=PACKAGE_FILES,
        refusal=_("Upload the file as PDF, Word, OpenDocument, Excel or PowerPoint."),
        max_bytes=settings.KLYNGE_DOCUMENT_MAX_BYTES,
    )
    name = uploads.stored_name(upload.name or "", fallback="pakkefil")
    package_file = PackageFile(version=version, name=name, size_bytes=upload.size or 0)
    package_file.file.save(f"{version.package_id}/{name}", upload, save=False)
    package_file.save()
    audit_log(
        actor=actor,
        action="packages.file.added",
        target=version,
        scope=_scope(version.package),
        data={"number": version.number, "file": name},
    )
    return package_file


@transaction.atomic
def file_remove(*, actor: Any, package_file: PackageFile) -> None:
    """Take a file off a draft (the stored file stays: an earlier version may use it)."""
    version = _draft_for_change(actor, package_file.version)
    name = package_file.name
    package_file.delete()
    audit_log(
        actor=actor,
        action="packages.file.removed",
        target=version,
        scope=_scope(version.package),
        data={"number": version.number, "file": name},
    )


@transaction.atomic
def ehr_system_add(*, actor: Any, name: str, vendor: str = "") -> EhrSystem:
    name = " ".join(name.split())
    if not name:
        raise DomainError(_("Give the system a name."), field="name")
    system, _created = EhrSystem.objects.get_or_create(name=name, defaults={"vendor": vendor})
    audit_log(actor=actor, action="packages.ehr_system.added", target=system, scope="secretariat")
    return system


# --- Adopting a package for a meeting -------------------------------------------------------


@dataclass(frozen=True)
class LeadTimeCheck:
    ok: bool
    needed_days: int
    meeting_date: dt.date
    earliest: dt.date  # the earliest meeting date the data can be ready for

    @property
    def message(self) -> str:
        if self.ok:
            return ""
        return ngettext(
            "Too late for the data: the publisher needs %(days)s day before the meeting, "
            "so the earliest feasible meeting date is %(date)s.",
            "Too late for the data: the publisher needs %(days)s days before the meeting, "
            "so the earliest feasible meeting date is %(date)s.",
            self.needed_days,
        ) % {"days": self.needed_days, "date": format_date(self.earliest)}


def lead_time_check(
    *, version: PackageVersion, meeting_date: dt.date, on: dt.date
) -> LeadTimeCheck:
    """The package's lead time (calendar days between the order and the meeting, as the
    publishers state it: "60 dage før mødet") checked against a meeting on
    `meeting_date` ordered on `on`."""
    earliest = on + dt.timedelta(days=version.lead_time_days)
    return LeadTimeCheck(
        ok=meeting_date >= earliest,
        needed_days=version.lead_time_days,
        meeting_date=meeting_date,
        earliest=earliest,
    )


@dataclass(frozen=True)
class Adoption:
    items: list[Any]
    order: Any
    check: LeadTimeCheck


@transaction.atomic
def package_adopt(
    *,
    actor: Any,
    version: PackageVersion,
    meeting: Any,
    period_start: dt.date,
    period_end: dt.date,
    anonymised: bool = True,
    on: dt.date | None = None,
) -> Adoption:
    """In one step: the package's meeting structure on the meeting's agenda, its
    indicators in the meeting pack, and a data order to its publisher. Refused (nothing
    written) when the meeting is too soon for the publisher's lead time; the refusal
    names the earliest feasible date."""
    from klynge.core.dates import today
    from klynge.dataorders import services as orders
    from klynge.meetings import services as meetings

    on = on or today()
    if version.status != VersionStatus.PUBLISHED:
        raise DomainError(_("Only a published package can be adopted."))
    if meeting.is_cancelled:
        raise DomainError(_("The meeting is cancelled."))
    if meeting.starts is None:
        raise DomainError(_("Set the meeting's date first: the data order needs it."))
    meeting_date = timezone.localtime(meeting.starts).date()
    if meeting_date <= on:
        raise DomainError(_("Choose a meeting that has not been held yet."))
    check = lead_time_check(version=version, meeting_date=meeting_date, on=on)
    if not check.ok:
        raise DomainError(check.message)
    items = [
        meetings.item_save(
            actor=actor,
            meeting=meeting,
            title=entry["title"],
            description=entry.get("description", ""),
            duration=entry.get("duration"),
        )
        for entry in version.agenda
    ]
    indicators = list(version.indicators.all())
    if indicators:
        meetings.meeting_update(
            actor=actor,
            meeting=meeting,
            indicators=list(meeting.indicators.all()) + indicators,
        )
    order = orders.order_create(
        actor=actor,
        cluster=meeting.cluster,
        recipient=version.package.publisher,
        to_secretariat=version.package.publisher_id is None,
        package=version,
        meeting=meeting,
        indicators=indicators,
        description=version.title,
        period_start=period_start,
        period_end=period_end,
        anonymised=anonymised,
        on=on,
    )
    audit_log(
        actor=actor,
        action="packages.package.adopted",
        target=version,
        scope=f"cluster:{meeting.cluster_id}",
        data={"meeting": meeting.pk, "order": order.pk, "items": len(items)},
    )
    return Adoption(items=items, order=order, check=check)
