"""Package pages and writes. Published packages are public; a draft is shown only to its
publisher's staff (others get 404). Each write is one view class with one URL."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.dates import today
from klynge.core.formatting import format_date
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, PermissionMixin, ServiceFormView
from klynge.packages import selectors, services, stories
from klynge.packages.forms import AdoptForm, PackageCreateForm, PackageFileForm, VersionForm
from klynge.packages.models import PackageFile, PackageVersion, VersionStatus
from klynge.registry.selectors import staff_region


class PackageListView(PermissionMixin, TemplateView):
    permission = "packages.view"
    template_name = "packages/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        theme = self.request.GET.get("tema", "").strip().lower()
        return {
            **super().get_context_data(**kwargs),
            "versions": selectors.published_versions(theme=theme),
            "themes": selectors.themes(),
            "theme": theme,
            "overlapping": selectors.overlapping_themes(),
            "drafts": selectors.drafts_for(user) if user.is_authenticated else [],
            "can_publish": has_perm(user, "packages.publish"),
        }


class ThemeView(PermissionMixin, TemplateView):
    """Every published package on one theme side by side, the differences marked."""

    permission = "packages.view"
    template_name = "packages/theme.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        table = selectors.side_by_side(self.kwargs["theme"])
        if not table.versions:
            raise Http404
        return {**super().get_context_data(**kwargs), "table": table}


class VersionMixin(PermissionMixin):
    """The version from the URL; a draft answers 404 to all but its publisher's staff."""

    kwargs: dict[str, Any]

    @cached_property
    def version(self) -> PackageVersion:
        version = selectors.version_detail(self.kwargs["pk"])
        if version is None:
            raise Http404
        published = version.status in (VersionStatus.PUBLISHED, VersionStatus.SUPERSEDED)
        if not published and not selectors.can_edit(self.request.user, version.package):
            raise Http404
        return version


class PackageDetailView(VersionMixin, TemplateView):
    permission = "packages.view"
    template_name = "packages/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        version = self.version
        editable = selectors.can_edit(user, version.package)
        from klynge.registry.selectors import user_clusters

        clusters = [
            c
            for c in (user_clusters(user=user) if user.is_authenticated else [])
            if has_perm(user, "packages.adopt", c)
        ]
        return {
            **super().get_context_data(**kwargs),
            "version": version,
            "package": version.package,
            "changes": selectors.changes_since_previous(version),
            "history": version.package.versions.order_by("-number"),
            "overlaps": selectors.overlaps(version) if editable else [],
            "editable": editable,
            "adopt_clusters": clusters if version.status == VersionStatus.PUBLISHED else [],
            "stories": stories.stories_from(package=version.package, on=today()),
        }


class PackageCreatePageView(PermissionMixin, TemplateView):
    permission = "packages.publish"
    template_name = "packages/create.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", PackageCreateForm())
        region = staff_region(self.request.user)
        context["publisher"] = region.name if region else _("The national secretariat")
        return context


class PackageCreateView(ServiceFormView):
    permission = "packages.publish"
    form_class = PackageCreateForm
    page = PackageCreatePageView

    def perform(self, form: forms.Form) -> str | HttpResponse:
        assert isinstance(form, PackageCreateForm)
        user = self.request.user
        publisher = None if getattr(user, "is_secretariat", False) else staff_region(user)
        fields = form.service_fields()
        theme = fields.pop("theme")
        version = services.package_create(actor=user, theme=theme, publisher=publisher, **fields)
        return HttpResponseRedirect(reverse("packages:detail", args=[version.pk]))


class EditMixin(VersionMixin):
    """Writes and the edit page: only the publisher's staff (others 404)."""

    @cached_property
    def version(self) -> PackageVersion:
        version = super().version
        if not selectors.can_edit(self.request.user, version.package):
            raise Http404
        return version


class PackageEditView(EditMixin, TemplateView):
    permission = "packages.publish"
    template_name = "packages/edit.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", VersionForm(initial=VersionForm.initial_from(self.version)))
        context["version"] = self.version
        context["overlaps"] = selectors.overlaps(self.version)
        context.setdefault("file_form", PackageFileForm())
        return context


class VersionWriteView(EditMixin, ServiceFormView):
    permission = "packages.publish"

    def success_url(self) -> str:
        return reverse("packages:detail", args=[self.version.pk])


class VersionUpdateView(VersionWriteView):
    form_class = VersionForm
    page = PackageEditView

    def perform(self, form: forms.Form) -> str:
        assert isinstance(form, VersionForm)
        services.version_update(
            actor=self.request.user, version=self.version, **form.service_fields()
        )
        return _("The draft is saved.")


class VersionReviewView(VersionWriteView):
    def perform(self, form: forms.Form) -> str:
        services.version_review(actor=self.request.user, version=self.version)
        return _("The draft is marked as reviewed.")


class VersionPublishView(VersionWriteView):
    def perform(self, form: forms.Form) -> str:
        services.version_publish(actor=self.request.user, version=self.version)
        return _("The package is published.")


class VersionNewView(VersionWriteView):
    def perform(self, form: forms.Form) -> str | HttpResponse:
        version = services.version_new(actor=self.request.user, package=self.version.package)
        return HttpResponseRedirect(reverse("packages:edit", args=[version.pk]))


class FileAddView(VersionWriteView):
    permission = "packages.publish"
    form_class = PackageFileForm
    form_name = "file_form"
    page = PackageEditView

    def success_url(self) -> str:
        return reverse("packages:edit", args=[self.version.pk])

    def perform(self, form: forms.Form) -> str:
        services.file_add(
            actor=self.request.user, version=self.version, upload=form.cleaned_data["file"]
        )
        return _("The file is attached to the draft.")


class FileMixin(VersionMixin):
    @cached_property
    def package_file(self) -> PackageFile:
        return get_object_or_404(PackageFile, pk=self.kwargs["file_pk"], version=self.version)


class FileRemoveView(FileMixin, EditMixin, ServiceFormView):
    permission = "packages.publish"
    page = PackageEditView

    def success_url(self) -> str:
        return reverse("packages:edit", args=[self.version.pk])

    def perform(self, form: forms.Form) -> str:
        services.file_remove(actor=self.request.user, package_file=self.package_file)
        return _("The file is removed from the draft.")


class FileDownloadView(FileMixin, View):
    """A package's file through the same visibility as the package (media files are
    never served directly)."""

    permission = "packages.view"

    def get(self, request, pk: int, file_pk: int):
        stored = self.package_file.file
        try:
            handle = stored.open("rb")
        except FileNotFoundError as exc:  # the demo names files it does not ship
            raise Http404 from exc
        return FileResponse(handle, as_attachment=True, filename=self.package_file.name)


# --- Adopting a package for one of the cluster's meetings ------------------------------------


class AdoptMixin(ClusterMixin):
    @cached_property
    def version(self) -> PackageVersion:
        return get_object_or_404(
            PackageVersion.objects.select_related("package__publisher"),
            pk=self.kwargs["pk"],
            status=VersionStatus.PUBLISHED,
        )

    def meetings(self):
        from klynge.meetings.models import Meeting

        return Meeting.objects.filter(
            cluster=self.cluster, starts__gt=timezone.now(), cancelled_at__isnull=True
        ).order_by("starts")


class AdoptPageView(AdoptMixin, TemplateView):
    permission = "packages.adopt"
    template_name = "packages/adopt.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        on = today()
        meetings = self.meetings()
        context["form"] = context.get("form") or AdoptForm(
            meetings=meetings,
            initial={"period_start": on.replace(year=on.year - 1, day=1), "period_end": on},
        )
        version = self.version
        context["version"] = version
        context["checks"] = [
            (
                m,
                services.lead_time_check(
                    version=version, meeting_date=timezone.localtime(m.starts).date(), on=on
                ),
            )
            for m in meetings
        ]
        context["earliest"] = format_date(
            services.lead_time_check(version=version, meeting_date=on, on=on).earliest
        )
        return context


class AdoptView(AdoptMixin, ServiceFormView):
    permission = "packages.adopt"
    page = AdoptPageView

    def get_form(self) -> forms.Form:
        return AdoptForm(**self.get_form_kwargs(), meetings=self.meetings())

    def perform(self, form: forms.Form) -> str | HttpResponse:
        data = form.cleaned_data
        adoption = services.package_adopt(
            actor=self.request.user,
            version=self.version,
            meeting=data["meeting"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            anonymised=data["anonymised"],
        )
        from django.contrib import messages

        messages.success(
            self.request,
            _(
                "The package is on the agenda and the data is ordered from %(publisher)s "
                "(due %(due)s)."
            )
            % {"publisher": adoption.order.recipient_name, "due": format_date(adoption.order.due)},
        )
        return HttpResponseRedirect(
            reverse("meetings:agenda", args=[self.cluster.slug, data["meeting"].pk])
        )
