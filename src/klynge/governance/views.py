"""Governance pages: the statutes with the rules the platform applies (GOV-5), the
founding paperwork filled in with the cluster's data (GOV-1), and elections at general
assemblies (GOV-2), recorded from the minutes page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.dates import today
from klynge.core.downloads import file_response
from klynge.core.errors import DomainError
from klynge.core.formatting import format_date, format_percent
from klynge.core.views import ClusterMixin
from klynge.governance import paperwork, selectors, services
from klynge.governance.elections import election_record
from klynge.governance.forms import ElectionForm, StatutesForm
from klynge.governance.models import Statutes
from klynge.meetings.selectors import meeting_date
from klynge.meetings.views.minutes import MinutesWriteView


def rules_in_words(statutes: Statutes) -> list[str]:
    """The rules of a version of the statutes as short sentences for a page."""
    rules = []
    if statutes.attendance_min_percent:
        rules.append(
            _("At least %(percent)s attendance at the year's meetings")
            % {"percent": format_percent(statutes.attendance_min_percent / 100, 0)}
        )
    else:
        rules.append(_("No minimum attendance at meetings"))
    if statutes.notice_days == 1:
        rules.append(_("Notice of general assemblies at least one day before"))
    else:
        rules.append(
            _("Notice of general assemblies at least %(days)s days before")
            % {"days": statutes.notice_days}
        )
    if statutes.quorum_percent:
        rules.append(
            _("The general assembly has a quorum when %(percent)s of the members are present")
            % {"percent": format_percent(statutes.quorum_percent / 100, 0)}
        )
    else:
        rules.append(_("The general assembly has a quorum however many members attend"))
    if statutes.data_sharing_required:
        rules.append(_("Members must share their quality data in the cluster"))
    else:
        rules.append(_("Sharing quality data is voluntary"))
    return rules


class StatutesView(ClusterMixin, TemplateView):
    """GOV-5: the statutes in force today with their rules, earlier versions, and (for
    those who manage them) a form to register a new version."""

    permission = "governance.view_statutes"
    template_name = "governance/statutes.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        on = today()
        current = selectors.statutes_on(cluster=self.cluster, on=on)
        versions = selectors.statutes_versions(cluster=self.cluster)
        return {
            **super().get_context_data(**kwargs),
            "on": on,
            "current": current,
            "current_rules": rules_in_words(current) if current else [],
            "others": [
                (v, rules_in_words(v)) for v in versions if current is None or v.pk != current.pk
            ],
            "form": kwargs.get("form")
            or StatutesForm(initial={"adopted": on.strftime("%d-%m-%Y")}),
        }


class StatutesAddView(StatutesView):
    """Register a version (POST only); errors re-render the page with 400 and write nothing."""

    permission = "governance.manage_statutes"
    http_method_names = ["post"]

    def post(self, request, slug: str):
        form = StatutesForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                statutes = services.statutes_adopt(
                    actor=request.user,
                    cluster=self.cluster,
                    adopted=data["adopted"],
                    attendance_min_percent=data["attendance_min_percent"],
                    notice_days=data["notice_days"],
                    quorum_percent=data["quorum_percent"],
                    data_sharing_required=data["data_sharing_required"],
                    purpose=data["purpose"],
                    file=data["file"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request,
                    _("The statutes adopted on %(date)s are registered.")
                    % {"date": format_date(statutes.adopted)},
                )
                return HttpResponseRedirect(reverse("governance:statutes", args=[slug]))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class StatutesFileView(ClusterMixin, View):
    """The document of one version of this cluster's statutes."""

    permission = "governance.view_statutes"

    def get(self, request, slug: str, pk: int):
        statutes = get_object_or_404(Statutes, pk=pk, cluster=self.cluster)
        if not statutes.file:
            raise Http404
        try:
            handle = statutes.file.open("rb")
        except FileNotFoundError as exc:
            raise Http404 from exc
        return FileResponse(
            handle, as_attachment=True, filename=statutes.file.name.rsplit("/", 1)[-1]
        )


class PaperworkView(ClusterMixin, TemplateView):
    """GOV-1: the founding paperwork, filled in with the cluster's data, to download."""

    permission = "governance.view_statutes"
    template_name = "governance/paperwork.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "documents": [
                (kind, title, paperwork.DESCRIPTIONS[kind])
                for kind, title in paperwork.KINDS.items()
            ],
        }


class PaperworkDownloadView(ClusterMixin, View):
    permission = "governance.view_statutes"

    def get(self, request, slug: str, kind: str, fmt: str):
        if kind not in paperwork.KINDS:
            raise Http404
        filename = f"{self.cluster.slug}-{paperwork.FILENAMES[kind]}.{fmt}"
        if fmt == "docx":
            docx = paperwork.render_docx(kind, self.cluster)
            return file_response(docx, filename, paperwork.DOCX_TYPE)
        if fmt == "pdf":
            return file_response(paperwork.render_pdf(kind, self.cluster), filename)
        raise Http404


class ElectionRecordView(MinutesWriteView):
    """GOV-2: record an election at a general assembly, from its minutes page. The
    result becomes a dated role in the registry (`elections.election_record`)."""

    permission = "governance.record_election"
    form_class = ElectionForm
    form_name = "election_form"

    def perform(self, form: forms.Form) -> str:
        data = form.cleaned_data
        election_record(
            actor=self.request.user,
            meeting=self.meeting,
            role=data["role"],
            doctor=data["doctor"],
            start=data["start"] or meeting_date(self.meeting),
        )
        return _("The election is recorded and the role registered.")
