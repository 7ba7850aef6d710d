"""Writing governance data: versions of the statutes (GOV-5)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from klynge.core import uploads
from klynge.core.dates import today
from klynge.core.errors import DomainError
from klynge.core.formatting import format_date
from klynge.core.models import audit_log
from klynge.governance.models import Statutes
from klynge.registry.models import Cluster
from klynge.registry.services import registration_refresh


def _percent(value: int | None, field: str) -> None:
    if value is not None and not 0 <= value <= 100:
        raise DomainError(_("Write a percentage between 0 and 100."), field=field)


def _check_file(upload: UploadedFile) -> str:
    """The file's suffix after checking its type by content and its size."""
    return uploads.checked_suffix(
        upload,
        allowed=uploads.DOCUMENTS,
        refusal=_("Upload the document as PDF, Word (.docx) or OpenDocument (.odt)."),
        max_bytes=settings.KLYNGE_DOCUMENT_MAX_BYTES,
    )


@transaction.atomic
def statutes_adopt(
    *,
    actor: Any,
    cluster: Cluster,
    adopted: dt.date,
    attendance_min_percent: int | None = None,
    notice_days: int = 14,
    quorum_percent: int | None = None,
    data_sharing_required: bool = True,
    purpose: str = "",
    file: UploadedFile | None = None,
) -> Statutes:
    """Register a version of the statutes, in force from `adopted` until the next
    version. The rules are checked here (the single place), the document by content."""
    if adopted < cluster.founded:
        raise DomainError(
            _("The statutes cannot be adopted before the cluster was founded (%(date)s).")
            % {"date": format_date(cluster.founded)},
            field="adopted",
        )
    if adopted > today():
        raise DomainError(_("The adoption date cannot be in the future."), field="adopted")
    if cluster.dissolved is not None and adopted >= cluster.dissolved:
        raise DomainError(_("The cluster was dissolved before that date."), field="adopted")
    _percent(attendance_min_percent, "attendance_min_percent")
    _percent(quorum_percent, "quorum_percent")
    if not 1 <= notice_days <= 90:
        raise DomainError(
            _("The notice for general assemblies must be between 1 and 90 days."),
            field="notice_days",
        )
    duplicate = DomainError(
        _("A version of the statutes adopted on %(date)s is already registered.")
        % {"date": format_date(adopted)},
        field="adopted",
    )
    if Statutes.objects.filter(cluster=cluster, adopted=adopted).exists():
        raise duplicate
    suffix = _check_file(file) if file is not None else ""

    try:
        with transaction.atomic():  # a concurrent twin hits the unique constraint
            statutes = Statutes.objects.create(
                cluster=cluster,
                adopted=adopted,
                purpose=purpose.strip(),
                attendance_min_percent=attendance_min_percent,
                notice_days=notice_days,
                quorum_percent=quorum_percent,
                data_sharing_required=data_sharing_required,
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
    except IntegrityError as exc:
        raise duplicate from exc
    if file is not None:
        statutes.file.save(
            f"{cluster.slug}-vedtaegter-{adopted.isoformat()}{suffix}", file, save=False
        )
        statutes.save(update_fields=["file"])
    audit_log(
        actor=actor,
        action="governance.statutes.adopted",
        target=statutes,
        scope=f"cluster:{cluster.pk}",
        data={
            "adopted": adopted.isoformat(),
            "attendance_min_percent": attendance_min_percent,
            "notice_days": notice_days,
            "quorum_percent": quorum_percent,
            "data_sharing_required": data_sharing_required,
            "file": (file.name or "")[:100] if file is not None else "",
        },
    )
    registration_refresh(cluster=cluster)  # the statutes are on the registration checklist
    return statutes
