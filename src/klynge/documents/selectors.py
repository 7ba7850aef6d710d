"""Reads of the document archive: folders with their paths, documents with their latest
version, a document's versions. A fixed number of queries however large the archive."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, OuterRef, QuerySet, Subquery

from klynge.documents.models import Document, DocumentVersion, Folder
from klynge.registry.models import Cluster


@dataclass(frozen=True)
class FolderRow:
    folder: Folder
    path: str  # "Referater / 2024"
    depth: int
    documents: int


def archive_folders(*, cluster: Cluster) -> list[FolderRow]:
    """The cluster's folders as a tree in reading order (parents before children,
    siblings by name), each with its path and the number of documents directly in it."""
    folders = list(
        Folder.objects.filter(cluster=cluster).annotate(n=Count("documents")).order_by("name")
    )
    children: dict[int | None, list[Folder]] = {}
    for folder in folders:
        children.setdefault(folder.parent_id, []).append(folder)
    rows: list[FolderRow] = []

    def walk(parent: int | None, prefix: str, depth: int) -> None:
        for folder in children.get(parent, []):
            path = f"{prefix} / {folder.name}" if prefix else folder.name
            rows.append(FolderRow(folder=folder, path=path, depth=depth, documents=folder.n))  # type: ignore[attr-defined]
            walk(folder.pk, path, depth + 1)

    walk(None, "", 0)
    return rows


def archive_documents(*, cluster: Cluster, folder: Folder | None = None) -> list[Document]:
    """The cluster's documents (in `folder` only, if given), each with `.latest` (its
    newest version, with the uploader) and `.version_count`."""
    newest = DocumentVersion.objects.filter(document=OuterRef("pk")).order_by("-number")
    documents: QuerySet[Document] = (
        Document.objects.filter(cluster=cluster)
        .select_related("folder")
        .annotate(latest_id=Subquery(newest.values("pk")[:1]), version_count=Count("versions"))
        .order_by("folder__name", "title", "id")
    )
    if folder is not None:
        documents = documents.filter(folder=folder)
    rows = list(documents)
    latest = DocumentVersion.objects.select_related("uploaded_by").in_bulk(
        [d.latest_id for d in rows if d.latest_id]  # type: ignore[attr-defined]
    )
    for document in rows:
        document.latest = latest.get(document.latest_id)  # type: ignore[attr-defined]
    return rows


def document_versions(*, document: Document) -> QuerySet[DocumentVersion]:
    """Every version of the document, newest first, with the uploader."""
    return document.versions.select_related("uploaded_by").order_by("-number")
