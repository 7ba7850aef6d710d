"""Writes to the document archive (GOV-4): folders, uploads and generated files.

Every upload is checked before anything is written: not empty, within
`KLYNGE_DOCUMENT_MAX_BYTES`, and of an allowed kind judged by its content
(`documents.sniff`). A refused file raises `DomainError` saying why, and leaves no row
and no file behind. If the database refuses the row after the file was stored, the
file is removed again before the error propagates.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from klynge.core.errors import DomainError
from klynge.core.models import audit_log
from klynge.documents import sniff
from klynge.documents.formatting import filesize
from klynge.documents.models import DEFAULT_FOLDERS, Document, DocumentVersion, Folder
from klynge.registry.models import Cluster


def _scope(cluster: Cluster) -> str:
    return f"cluster:{cluster.pk}"


def _refusal(error: sniff.Rejected) -> str:
    """The user-facing reason for a refused file."""
    messages = {
        "empty": _("The file is empty."),
        "no-suffix": _(
            "The file name has no extension such as .pdf, so its type cannot be checked."
        ),
        "suffix": _(
            "Files of type %(suffix)s cannot be uploaded. Allowed are PDF, Word (.docx), "
            "Excel (.xlsx), PowerPoint (.pptx), OpenDocument (.odt, .ods), PNG, JPEG, "
            "text (.txt) and CSV."
        ),
        "pdf": _("The file's content is not a PDF, although its name ends in %(suffix)s."),
        "office": _(
            "The file's content is not an Office or OpenDocument file of the kind its name "
            "says (%(suffix)s)."
        ),
        "png": _("The file's content is not a PNG image, although its name ends in %(suffix)s."),
        "jpeg": _("The file's content is not a JPEG image, although its name ends in %(suffix)s."),
        "text": _(
            "The file is not plain text in UTF-8 (it contains binary data or another "
            "encoding), although its name ends in %(suffix)s."
        ),
    }
    message = messages[error.reason]
    return message % {"suffix": error.suffix} if "%(suffix)s" in message else message


def _read_checked(upload: UploadedFile) -> tuple[bytes, str]:
    """The upload's bytes and content type, or `DomainError` saying why not."""
    limit = settings.KLYNGE_DOCUMENT_MAX_BYTES
    # The size Django measured while receiving the file: refuse before reading it.
    if upload.size is not None and upload.size > limit:
        raise DomainError(
            _("The file is %(size)s; the limit is %(max)s.")
            % {"size": filesize(upload.size), "max": filesize(limit)},
            field="file",
        )
    upload.seek(0)
    data = b"".join(upload.chunks())
    if len(data) > limit:
        raise DomainError(
            _("The file is %(size)s; the limit is %(max)s.")
            % {"size": filesize(len(data)), "max": filesize(limit)},
            field="file",
        )
    try:
        content_type = sniff.sniff(upload.name or "", data)
    except sniff.Rejected as error:
        raise DomainError(_refusal(error), field="file") from error
    return data, content_type


def _clean_filename(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if len(base) > 255:
        suffix = sniff.suffix_of(base)
        base = base[: 255 - len(suffix)] + suffix
    return base


def _title_from(filename: str) -> str:
    suffix = sniff.suffix_of(filename)
    stem = filename[: -len(suffix)] if suffix else filename
    return stem.strip()[:200]


def _add_version(
    *,
    actor: Any,
    cluster: Cluster,
    document: Document,
    created: bool,
    data: bytes,
    filename: str,
    content_type: str,
    note: str = "",
    generated: bool = False,
) -> DocumentVersion:
    """Store `data` as the document's next version; the caller holds a lock on the
    document row (or has just created it) and runs inside a transaction."""
    latest = document.versions.aggregate(n=Max("number"))["n"] or 0
    version = DocumentVersion(
        document=document,
        number=latest + 1,
        original_filename=filename,
        size=len(data),
        content_type=content_type,
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        note=note.strip()[:300],
    )
    version.file.save(filename, ContentFile(data), save=False)
    try:
        version.save()
        audit_log(
            actor=actor,
            action="documents.version.uploaded",
            target=version,
            scope=_scope(cluster),
            data={
                "document": document.pk,
                "title": document.title,
                "folder": document.folder.name,
                "number": version.number,
                "new_document": created,
                "filename": filename[:100],
                "size": version.size,
                "sha256": version.sha256,
                "generated": generated,
            },
        )
    except BaseException:
        version.file.delete(save=False)
        raise
    return version


def _check_folder(*, cluster: Cluster, folder: Folder) -> None:
    if folder.cluster_id != cluster.pk:
        raise ValueError("The folder belongs to another cluster.")


def folder_defaults_ensure(*, cluster: Cluster) -> None:
    """Create the missing default folders (`DEFAULT_FOLDERS`) at the top of the
    cluster's archive. Idempotent and safe under concurrent calls (conflicts are
    ignored). Deliberately not wrapped in a transaction: the archive page calls it on
    every view, and on SQLite an atomic block takes the write lock even when nothing
    is missing."""
    existing = set(
        Folder.objects.filter(cluster=cluster, parent=None, name__in=DEFAULT_FOLDERS).values_list(
            "name", flat=True
        )
    )
    missing = [name for name in DEFAULT_FOLDERS if name not in existing]
    if missing:
        Folder.objects.bulk_create(
            [Folder(cluster=cluster, name=name) for name in missing], ignore_conflicts=True
        )


@transaction.atomic
def folder_create(
    *, actor: Any, cluster: Cluster, name: str, parent: Folder | None = None
) -> Folder:
    """A new folder in the cluster's archive, at the top or inside `parent`."""
    name = " ".join(name.split())
    if not name:
        raise DomainError(_("Give the folder a name."), field="name")
    if len(name) > 100:
        raise DomainError(_("A folder name has at most 100 characters."), field="name")
    if parent is not None:
        _check_folder(cluster=cluster, folder=parent)
    if Folder.objects.filter(cluster=cluster, parent=parent, name__iexact=name).exists():
        raise DomainError(
            _("There is already a folder named %(name)s here.") % {"name": name}, field="name"
        )
    folder = Folder.objects.create(cluster=cluster, name=name, parent=parent)
    audit_log(
        actor=actor,
        action="documents.folder.created",
        target=folder,
        scope=_scope(cluster),
        data={"name": name, "parent": parent.pk if parent else None},
    )
    return folder


@transaction.atomic
def document_upload(
    *,
    actor: Any,
    cluster: Cluster,
    folder: Folder | None,
    upload: UploadedFile,
    title: str = "",
    document: Document | None = None,
    note: str = "",
) -> DocumentVersion:
    """File an uploaded file: a new document titled `title` (default: the file name
    without its extension) in `folder`, or, given `document`, its next version (then
    `folder` may be None). Raises `DomainError` for a refused file or a title that is
    taken; nothing is written then."""
    data, content_type = _read_checked(upload)
    filename = _clean_filename(upload.name or "")
    if document is not None:
        if document.cluster_id != cluster.pk:
            raise ValueError("The document belongs to another cluster.")
        if folder is not None and folder.pk != document.folder_id:
            raise ValueError("A new version stays in its document's folder.")
        document = Document.objects.select_for_update().select_related("folder").get(pk=document.pk)
        created = False
    else:
        if folder is None:
            raise DomainError(_("Choose a folder."), field="folder")
        _check_folder(cluster=cluster, folder=folder)
        title = " ".join(title.split()) or _title_from(filename)
        if len(title) > 200:
            raise DomainError(_("A title has at most 200 characters."), field="title")
        if Document.objects.filter(folder=folder, title__iexact=title).exists():
            raise DomainError(
                _(
                    "The folder already has a document titled %(title)s. Open it and upload "
                    "a new version, or choose another title."
                )
                % {"title": title},
                field="title",
            )
        document = Document.objects.create(cluster=cluster, folder=folder, title=title)
        created = True
    return _add_version(
        actor=actor,
        cluster=cluster,
        document=document,
        created=created,
        data=data,
        filename=filename,
        content_type=content_type,
        note=note,
    )


@transaction.atomic
def document_file_generated(
    *,
    actor: Any,
    cluster: Cluster,
    folder: str,
    title: str,
    filename: str,
    content: bytes,
    content_type: str = "application/pdf",
) -> DocumentVersion:
    """File content the platform generated (e.g. approved minutes as PDF) in the
    top-level folder named `folder` (created if missing): a new document, or a new
    version of the document with the same title in that folder.

    The content is trusted (it is ours), so it is not sniffed, but it must not be empty.
    """
    if not content:
        raise ValueError("Generated content is empty.")
    title = " ".join(title.split())[:200]
    if not title:
        raise ValueError("A generated document needs a title.")
    folder_name = " ".join(folder.split())
    target = Folder.objects.filter(cluster=cluster, parent=None, name__iexact=folder_name).first()
    if target is None:
        target, _created = Folder.objects.get_or_create(
            cluster=cluster, parent=None, name=folder_name
        )
    document = (
        Document.objects.select_for_update()
        .filter(folder=target, title__iexact=title)
        .select_related("folder")
        .first()
    )
    created = document is None
    if document is None:
        document = Document.objects.create(cluster=cluster, folder=target, title=title)
    return _add_version(
        actor=actor,
        cluster=cluster,
        document=document,
        created=created,
        data=content,
        filename=_clean_filename(filename),
        content_type=content_type,
        generated=True,
    )
