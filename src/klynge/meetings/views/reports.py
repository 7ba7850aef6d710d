"""The cluster's year: the activity report, on the page and as CSV or PDF."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.views.generic import TemplateView, View

from klynge.core.downloads import csv_response, file_response
from klynge.core.views import ClusterMixin
from klynge.meetings import documents
from klynge.meetings.views.base import year_of


class ActivityReportView(ClusterMixin, TemplateView):
    permission = "meetings.view_activity_report"
    template_name = "meetings/activity_report.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = year_of(self.request)
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "years": documents.years_with_meetings(self.cluster),
            "r": documents.activity_report(cluster=self.cluster, year=year),
        }


class ActivityReportDownloadView(ClusterMixin, View):
    permission = "meetings.view_activity_report"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not 2000 <= kwargs["year"] <= 2100:
            raise Http404
        report = documents.activity_report(cluster=self.cluster, year=kwargs["year"])
        name = f"aktivitetsrapport-{self.cluster.slug}-{kwargs['year']}"
        if kwargs["fmt"] == "csv":
            return csv_response(
                documents.ACTIVITY_CSV_HEADER, documents.activity_report_rows(report), f"{name}.csv"
            )
        if kwargs["fmt"] == "pdf":
            return file_response(documents.activity_report_pdf(report), f"{name}.pdf")
        raise Http404
