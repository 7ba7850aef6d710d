"""The document archive of a cluster (GOV-4): members read, coordinator and board write.

The POST-only views (`upload`, `folder.create`, `version.create`) accept only POST, so
an allowed role's GET answers 405; on a refused file they render the page again with
the reason and status 400, and nothing is kept.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.errors import DomainError
from klynge.core.views import ClusterMixin
from klynge.documents import selectors, services
from klynge.documents.forms import FolderForm, UploadForm, VersionForm
from klynge.documents.models import Document, DocumentVersion, Folder

VIEW = "documents.view_archive"
MANAGE = "documents.manage_archive"


def _add_error(form: Any, error: DomainError) -> None:
    form.add_error(error.field if error.field in form.fields else None, error.message)


class ArchiveView(ClusterMixin, TemplateView):
    """Folders, and the documents (of one folder, `?mappe=<id>`) with their latest
    version: size, who uploaded it and when."""

    permission = VIEW
    template_name = "documents/archive.html"

    def _selected_folder(self) -> Folder | None:
        raw = self.request.GET.get("mappe", "")
        if not raw.isdigit():
            return None
        return Folder.objects.filter(cluster=self.cluster, pk=int(raw)).first()

    def get(self, request, *args: Any, **kwargs: Any):
        services.folder_defaults_ensure(cluster=self.cluster)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        selected = self._selected_folder()
        return {
            **super().get_context_data(**kwargs),
            "folders": selectors.archive_folders(cluster=self.cluster),
            "selected": selected,
            "max_bytes": settings.KLYNGE_DOCUMENT_MAX_BYTES,
            "documents": selectors.archive_documents(cluster=self.cluster, folder=selected),
            "upload_form": kwargs.get("upload_form")
            or UploadForm(
                cluster=self.cluster, initial={"folder": selected.pk if selected else None}
            ),
            "folder_form": kwargs.get("folder_form")
            or FolderForm(
                cluster=self.cluster, initial={"parent": selected.pk if selected else None}
            ),
        }


class UploadView(ArchiveView):
    """A new document; a refused file re-renders the archive with the reason (400)."""

    permission = MANAGE
    http_method_names = ["post"]

    def post(self, request, slug: str):
        form = UploadForm(request.POST, request.FILES, cluster=self.cluster)
        if form.is_valid():
            data = form.cleaned_data
            try:
                version = services.document_upload(
                    actor=request.user,
                    cluster=self.cluster,
                    folder=data["folder"],
                    upload=data["file"],
                    title=data["title"],
                    note=data["note"],
                )
            except DomainError as error:
                _add_error(form, error)
            else:
                messages.success(
                    request,
                    _("%(title)s is uploaded.") % {"title": version.document.title},
                )
                return HttpResponseRedirect(
                    f"{reverse('documents:archive', args=[slug])}?mappe={data['folder'].pk}"
                )
        return self.render_to_response(self.get_context_data(upload_form=form), status=400)


class FolderCreateView(ArchiveView):
    permission = MANAGE
    http_method_names = ["post"]

    def post(self, request, slug: str):
        form = FolderForm(request.POST, cluster=self.cluster)
        if form.is_valid():
            try:
                folder = services.folder_create(
                    actor=request.user,
                    cluster=self.cluster,
                    name=form.cleaned_data["name"],
                    parent=form.cleaned_data["parent"],
                )
            except DomainError as error:
                _add_error(form, error)
            else:
                messages.success(request, _("The folder %(name)s is created.") % {"name": folder})
                return HttpResponseRedirect(
                    f"{reverse('documents:archive', args=[slug])}?mappe={folder.pk}"
                )
        return self.render_to_response(self.get_context_data(folder_form=form), status=400)


class DocumentView(ClusterMixin, TemplateView):
    """One document with every version: number, file, size, who, when and the note."""

    permission = VIEW
    template_name = "documents/document.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        document = get_object_or_404(
            Document.objects.select_related("folder"), pk=self.kwargs["pk"], cluster=self.cluster
        )
        return {
            **super().get_context_data(**kwargs),
            "document": document,
            "folder_path": next(
                (
                    row.path
                    for row in selectors.archive_folders(cluster=self.cluster)
                    if row.folder.pk == document.folder_id
                ),
                document.folder.name,
            ),
            "versions": selectors.document_versions(document=document),
            "form": kwargs.get("form") or VersionForm(),
        }


class VersionCreateView(DocumentView):
    """A new version of a document; a refused file re-renders the document (400)."""

    permission = MANAGE
    http_method_names = ["post"]

    def post(self, request, slug: str, pk: int):
        document = get_object_or_404(Document, pk=pk, cluster=self.cluster)
        form = VersionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                version = services.document_upload(
                    actor=request.user,
                    cluster=self.cluster,
                    folder=None,
                    upload=form.cleaned_data["file"],
                    document=document,
                    note=form.cleaned_data["note"],
                )
            except DomainError as error:
                _add_error(form, error)
            else:
                messages.success(
                    request,
                    _("Version %(number)s of %(title)s is uploaded.")
                    % {"number": version.number, "title": document.title},
                )
                return HttpResponseRedirect(reverse("documents:document", args=[slug, pk]))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class DownloadView(ClusterMixin, View):
    """One version's file as an attachment under its original name; a version of
    another cluster's document answers 404."""

    permission = VIEW

    def get(self, request, slug: str, pk: int):
        version = get_object_or_404(DocumentVersion, pk=pk, document__cluster=self.cluster)
        try:
            handle = version.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(
            handle,
            as_attachment=True,
            filename=version.original_filename,
            content_type=version.content_type,
        )
