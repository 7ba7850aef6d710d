"""The document archive of a cluster (GOV-4): folders, documents and their versions.

A document is a title in a folder; its file content lives in numbered versions that are
never changed or deleted, so the archive shows who uploaded what when. Files are stored
under a random name (the original name is kept in a column) and only ever served
through the permission-checked download view.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klynge.documents.sniff import suffix_of

# The folders every cluster's archive starts with. They are user data (a cluster may
# add more, and the names show as they are in every language), so they are Danish.
DEFAULT_FOLDERS: tuple[str, ...] = (
    "Vedtægter",
    "Referater",
    "Indkaldelser",
    "Adresseliste",
    "Kontrakter",
    "Bilag",
)


class Folder(models.Model):
    cluster = models.ForeignKey(
        "registry.Cluster",
        verbose_name=_("cluster"),
        on_delete=models.CASCADE,
        related_name="document_folders",
    )
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent folder"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "parent", "name"], name="folder_name_once_per_parent"
            ),
            # NULLs are distinct in a unique index: top-level folders need their own.
            models.UniqueConstraint(
                fields=["cluster", "name"],
                condition=models.Q(parent__isnull=True),
                name="folder_name_once_at_top",
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="folder_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    cluster = models.ForeignKey(
        "registry.Cluster",
        verbose_name=_("cluster"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    folder = models.ForeignKey(
        Folder, verbose_name=_("folder"), on_delete=models.PROTECT, related_name="documents"
    )
    title = models.CharField(_("title"), max_length=200)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            # A title names one document in its folder; a new file with the same title is
            # a new version (and `document_file_generated` relies on finding it).
            models.UniqueConstraint(fields=["folder", "title"], name="document_title_once"),
            models.CheckConstraint(condition=~models.Q(title=""), name="document_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title


def version_path(instance: DocumentVersion, filename: str) -> str:
    """`documents/<cluster id>/<random>.<suffix>`: unguessable, never colliding, and
    free of whatever the uploader's file name contained."""
    return f"documents/{instance.document.cluster_id}/{uuid.uuid4().hex}{suffix_of(filename)}"


class DocumentVersion(models.Model):
    document = models.ForeignKey(
        Document, verbose_name=_("document"), on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=version_path, max_length=200)
    original_filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded = models.DateTimeField(_("uploaded"), default=timezone.now)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="version_number_once"),
            models.CheckConstraint(condition=models.Q(number__gte=1), name="version_number_from_1"),
            models.CheckConstraint(condition=models.Q(size__gt=0), name="version_not_empty"),
        ]

    def __str__(self) -> str:
        return f"{self.document} v{self.number}"
