"""Quality pages: the indicator library, cluster dashboards, benchmark (funnel) and
run charts, consent and presentation, goals and interventions, imports."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.dates import today
from klynge.core.downloads import csv_response
from klynge.core.errors import DomainError
from klynge.core.views import ClusterMixin, PermissionMixin, ServiceFormView
from klynge.quality import charts, selectors, services
from klynge.quality.forms import BenchmarkForm, GoalForm, InterventionForm, UploadForm
from klynge.quality.models import Consent, ImportRun, ImportStatus, Indicator, Presentation
from klynge.quality.periods import add_months, parse_period
from klynge.registry.models import Doctor
from klynge.registry.selectors import cluster_memberships_on, region_of

# --- Library --------------------------------------------------------------------------------------


class IndicatorListView(PermissionMixin, TemplateView):
    permission = "quality.view_library"
    template_name = "quality/indicator/list.html"

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "indicators": Indicator.objects.filter(active=True),
        }


class IndicatorDetailView(PermissionMixin, TemplateView):
    permission = "quality.view_library"
    template_name = "quality/indicator/detail.html"

    def get_context_data(self, **kwargs):
        indicator = get_object_or_404(Indicator, code=self.kwargs["code"])
        return {**super().get_context_data(**kwargs), "indicator": indicator}


# --- Cluster data -----------------------------------------------------------------------------------


class ClusterDataMixin(ClusterMixin):
    permission = "quality.view_cluster_data"

    @cached_property
    def indicator(self) -> Indicator:
        return get_object_or_404(Indicator, code=self.kwargs["code"], active=True)

    @cached_property
    def default_last(self) -> dt.date | None:
        """The cluster's own latest complete month for this indicator."""
        return selectors.cluster_latest_month(cluster=self.cluster, indicator=self.indicator)

    def window(self) -> tuple[dt.date | None, int, str]:
        form = BenchmarkForm(self.request.GET or None)
        form.is_valid()
        data = getattr(form, "cleaned_data", {})
        last = None
        if data.get("slut"):
            try:
                _kind, last = parse_period(data["slut"])
            except ValueError:
                last = None
        if last is None or (self.default_last and last > self.default_last):
            last = self.default_last
        return last, data.get("vindue") or 3, data.get("maal") or "cluster"

    def benchmark_or_404(self) -> tuple[selectors.Benchmark, str]:
        """The request's benchmark (window and comparison from the query string)."""
        last, months, target = self.window()
        if last is None:
            raise Http404
        bench = selectors.benchmark(
            viewer=self.request.user,
            cluster=self.cluster,
            indicator=self.indicator,
            last=last,
            months=months,
        )
        return bench, target

    def trend_or_404(self) -> selectors.Trend:
        """The cluster's last four years up to the request's month, as the viewer may see them."""
        last, _months, _target = self.window()
        if last is None:
            raise Http404
        return selectors.cluster_trend(
            viewer=self.request.user,
            cluster=self.cluster,
            indicator=self.indicator,
            first=add_months(last, -(selectors.TREND_MONTHS - 1)),
            last=last,
        )

    def comparators(self, trend: selectors.Trend) -> list[selectors.Series]:
        """The region and the nation beside the cluster's run chart, month by month only
        where they reveal no one."""
        months = trend.series.months
        reported = trend.series.reported or [0] * len(months)
        return [
            selectors.comparator_series(
                indicator=self.indicator,
                region=region,
                first=months[0],
                last=months[-1],
                cluster_reported=reported,
            )
            for region in (region_of(self.cluster.municipality_id, months[-1]), None)
        ]


def dashboard_rows(request, cluster) -> list[selectors.DashboardRow]:
    return selectors.cluster_dashboard(cluster=cluster, viewer=request.user)


class ClusterDashboardView(ClusterMixin, TemplateView):
    permission = "quality.view_cluster_data"
    template_name = "quality/cluster/dashboard.html"

    def get_context_data(self, **kwargs):
        rows = dashboard_rows(self.request, self.cluster)
        return {
            **super().get_context_data(**kwargs),
            "identified": selectors.sees_identified(self.request.user, self.cluster),
            "rows": [
                {
                    "row": row,
                    "spec_id": f"spark-{row.indicator.code}",
                    "spec": charts.sparkline_spec(row.trend, row.indicator),
                    "verdict": charts.verdict(row.trend, row.indicator),
                }
                for row in rows
            ],
        }


class ClusterIndicatorView(ClusterDataMixin, TemplateView):
    """A theme at a meeting: every clinic's position (funnel), the cluster over time
    (run chart with verdict), the viewer's own clinic over time, and the region (P′)."""

    template_name = "quality/cluster/indicator.html"

    def get_context_data(self, **kwargs):
        last, months, target = self.window()
        context = super().get_context_data(**kwargs)
        context.update(indicator=self.indicator, months=months, target=target)
        if last is None:
            context["empty"] = True
            return context
        bench, _target = self.benchmark_or_404()
        tau2 = _national_tau2(bench)
        trend = self.trend_or_404()
        first = trend.series.months[0]
        region_series, nation_series = self.comparators(trend)
        own_clinic = selectors.viewer_clinic_id(self.request.user)
        own_trend = None
        if own_clinic and own_clinic in {
            m.clinic_id for m in cluster_memberships_on(cluster=self.cluster, on=today())
        }:
            own_trend = selectors.clinic_trend(
                clinic_id=own_clinic,
                cluster=self.cluster,
                indicator=self.indicator,
                first=first,
                last=last,
            )
        context.update(
            bench=bench,
            levels=[bench.cluster_level, bench.region_level, bench.nation_level],
            last=last,
            tau2=tau2,
            funnel_spec=charts.funnel_spec(bench, target_key=target, tau2=tau2),
            run_spec=charts.run_chart_spec(
                trend, self.indicator, others=[region_series, nation_series]
            ),
            verdict=charts.verdict(trend, self.indicator),
            effects=charts.intervention_effects(trend, self.indicator),
            trend=trend,
            own_spec=charts.run_chart_spec(own_trend, self.indicator) if own_trend else None,
            own_verdict=charts.verdict(own_trend, self.indicator) if own_trend else None,
            prime_spec=charts.p_prime_spec(region_series, self.indicator, baseline=trend.baseline),
            can_manage=self.request.user.has_perm("quality.manage_cluster_data", self.cluster),
            goal_form=GoalForm(),
            intervention_form=InterventionForm(),
            periods=[add_months(self.default_last, -i) for i in range(0, 24)]
            if self.default_last
            else [],
            query=self.request.GET.urlencode(),
        )
        return context


def _national_tau2(bench) -> float:
    """Between-clinic variance estimated once over the nation, around the national value."""
    if bench.nation_level.value is None:
        return 0.0
    return selectors.national_overdispersion(
        indicator=bench.indicator,
        first=bench.first,
        last=bench.last,
        target=bench.nation_level.value,
    ).tau2


class FunnelJsonView(ClusterDataMixin, View):
    """The funnel plot's Vega-Lite spec (same data rules as the page)."""

    def get(self, request, slug, code):
        bench, target = self.benchmark_or_404()
        tau2 = _national_tau2(bench)
        return JsonResponse(charts.funnel_spec(bench, target_key=target, tau2=tau2))


class RunChartJsonView(ClusterDataMixin, View):
    def get(self, request, slug, code):
        trend = self.trend_or_404()
        spec = charts.run_chart_spec(trend, self.indicator, others=self.comparators(trend))
        spec["usermeta"] = {
            "verdict": charts.verdict(trend, self.indicator),
            "signal": trend.analysis.signal,
        }
        return JsonResponse(spec)


def _hidden_text() -> str:
    return _("hidden (fewer than %(k)s, or not shown)") % {
        "k": settings.KLYNGE_SUPPRESSION_THRESHOLD
    }


class RunChartCsvView(ClusterDataMixin, View):
    """The run chart's monthly series as CSV, with the region and the nation as drawn:
    hidden and withheld months stay empty."""

    def get(self, request, slug, code):
        trend = self.trend_or_404()
        others = self.comparators(trend)
        rows: list = []
        header = [_("month"), _("numerator"), _("denominator"), _("value")]
        for other in others:
            header += [other.label, _("clinics reported")]
        s = trend.series
        for i, (month, n, d) in enumerate(zip(s.months, s.numerators, s.denominators, strict=True)):
            if month in trend.hidden_months:
                row = [f"{month:%Y-%m}", "", "", _hidden_text()]
            else:
                row = [f"{month:%Y-%m}", n, d, _fmt(n / d if d else None, self.indicator)]
            for other in others:
                row += [
                    _fmt(other.values[i], self.indicator),
                    (other.reported or [""] * len(s.months))[i],
                ]
            rows.append(row)
        return csv_response(header, rows, f"{self.cluster.slug}-{self.indicator.code}-forloeb.csv")


class DashboardCsvView(ClusterMixin, View):
    """The dashboard's figures: every indicator's last quarter, cluster and nation."""

    permission = "quality.view_cluster_data"

    def get(self, request, slug):
        header = [
            _("indicator"),
            _("last month"),
            _("cluster numerator"),
            _("cluster denominator"),
            _("cluster value"),
            _("national value"),
            _("verdict"),
        ]
        rows = [
            [
                row.indicator.code,
                f"{row.last:%Y-%m}",
                row.cluster.numerator,
                row.cluster.denominator,
                _fmt(row.cluster.value, row.indicator),
                _fmt(row.nation.value, row.indicator),
                charts.verdict(row.trend, row.indicator),
            ]
            for row in dashboard_rows(request, self.cluster)
        ]
        return csv_response(header, rows, f"{self.cluster.slug}-kvalitetsdata.csv")


class BenchmarkCsvView(ClusterDataMixin, View):
    """The funnel's data as CSV, with the same protection and pseudonyms."""

    def get(self, request, slug, code):
        bench, _target = self.benchmark_or_404()
        last = bench.last
        rows: list = []
        denominator = (
            _("denominator (for pseudonyms the mean of their size class)")
            if bench.size_classes
            else _("denominator")
        )
        header = [_("clinic"), _("numerator"), denominator, _("value")]
        for p in bench.points:
            if p.hidden:
                rows.append([p.label, "", "", _hidden_text()])
            else:
                rows.append([p.label, p.numerator, p.denominator, _fmt(p.value, self.indicator)])
        for level in (bench.cluster_level, bench.region_level, bench.nation_level):
            rows.append(
                [
                    level.label,
                    level.numerator,
                    level.denominator,
                    _fmt(level.value, self.indicator),
                ]
            )
        return csv_response(
            header, rows, f"{self.cluster.slug}-{self.indicator.code}-{last:%Y-%m}.csv"
        )


def _fmt(value: float | None, indicator: Indicator) -> Decimal | None:
    """The value as drawn (on the indicator's scale, two decimals), a number in the file."""
    if value is None:
        return None
    return Decimal(f"{value * indicator.scale:.2f}")


class ClusterDataWriteView(ClusterDataMixin, ServiceFormView):
    """A write on an indicator's page; a refusal re-renders that page."""

    permission = "quality.manage_cluster_data"
    page = ClusterIndicatorView

    def success_url(self) -> str:
        return reverse("quality:cluster.indicator", args=[self.cluster.slug, self.indicator.code])


class GoalCreateView(ClusterDataWriteView):
    form_class = GoalForm
    form_name = "goal_form"

    def perform(self, form):
        services.goal_set(
            actor=self.request.user,
            cluster=self.cluster,
            indicator=self.indicator,
            target=float(form.cleaned_data["target"]) / self.indicator.scale,
            note=form.cleaned_data["note"],
        )
        return _("The target is saved.")


class InterventionCreateView(ClusterDataWriteView):
    form_class = InterventionForm
    form_name = "intervention_form"

    def perform(self, form):
        services.intervention_add(
            actor=self.request.user,
            cluster=self.cluster,
            indicator=self.indicator,
            **form.cleaned_data,
        )
        return _("The intervention is marked on the charts.")


# --- Consent and presentation ----------------------------------------------------------------------


class ConsentView(ClusterMixin, TemplateView):
    """Consent and presentation. A member sees their own clinic's consent and how many
    have not consented; only the coordinator sees who (`quality.view_consents`)."""

    permission = "quality.view_cluster_data"
    template_name = "quality/cluster/consent.html"

    def get_context_data(self, **kwargs):
        on = today()
        memberships = list(cluster_memberships_on(cluster=self.cluster, on=on))
        consenting = selectors.consenting_clinic_ids(
            cluster=self.cluster, clinic_ids=[m.clinic_id for m in memberships], on=on
        )
        own = selectors.viewer_clinic_id(self.request.user)
        sees_who = self.request.user.has_perm("quality.view_consents", self.cluster)
        return {
            **super().get_context_data(**kwargs),
            "rows": [(m.clinic, m.clinic_id in consenting) for m in memberships]
            if sees_who
            else [],
            "sees_who": sees_who,
            "members": len(memberships),
            "without_consent": len(memberships) - len(consenting),
            "own_clinic": own if own in {m.clinic_id for m in memberships} else None,
            "own_consents": own in consenting,
            "presentation": selectors.presentation_of(self.cluster),
            "can_manage": self.request.user.has_perm("quality.manage_cluster_data", self.cluster),
            "all_consent": len(consenting) == len(memberships),
        }


class ConsentWriteView(ClusterMixin, ServiceFormView):
    """A consent write by a member doctor for their own clinic, to this cluster."""

    permission = "quality.consent"
    page = ConsentView

    def own_clinic(self):
        doctor = Doctor.objects.select_related("clinic").filter(user=self.request.user).first()
        member_ids = {m.clinic_id for m in cluster_memberships_on(cluster=self.cluster, on=today())}
        if doctor is None or doctor.clinic_id not in member_ids:
            raise Http404
        return doctor.clinic

    def success_url(self) -> str:
        return reverse("quality:cluster.consent", args=[self.cluster.slug])


class ConsentGiveView(ConsentWriteView):
    def perform(self, form):
        services.consent_give(
            actor=self.request.user, clinic=self.own_clinic(), cluster=self.cluster, start=today()
        )
        return _("Your clinic's data are now shown in the cluster.")


class ConsentRevokeView(ConsentWriteView):
    def perform(self, form):
        services.consent_revoke(
            actor=self.request.user, clinic=self.own_clinic(), cluster=self.cluster, end=today()
        )
        return _("Your clinic's data are no longer shown in the cluster.")


class PresentationForm(forms.Form):
    presentation = forms.ChoiceField(choices=Presentation.choices)


class PresentationSetView(ConsentWriteView):
    permission = "quality.manage_cluster_data"
    form_class = PresentationForm

    def perform(self, form):
        services.presentation_set(
            actor=self.request.user,
            cluster=self.cluster,
            presentation=form.cleaned_data["presentation"],
            on=today(),
        )
        return _("The presentation is changed.")


# --- The doctor's own clinic --------------------------------------------------------------------------


class MyClinicView(PermissionMixin, TemplateView):
    """A doctor's own clinic: every indicator, worst first against the nation."""

    permission = "quality.view_own_data"
    template_name = "quality/clinic/mine.html"

    def get_context_data(self, **kwargs):
        doctor = Doctor.objects.select_related("clinic").get(user=self.request.user)
        last = selectors.clinic_latest_month(clinic_id=doctor.clinic_id)
        rows = selectors.clinic_dashboard(clinic_id=doctor.clinic_id, last=last) if last else []
        return {
            **super().get_context_data(**kwargs),
            "clinic": doctor.clinic,
            "last": last,
            "rows": [
                {
                    "row": row,
                    "spec_id": f"own-{row.indicator.code}",
                    "spec": charts.sparkline_spec(row.trend, row.indicator),
                    "verdict": charts.verdict(row.trend, row.indicator),
                }
                for row in rows
            ],
        }


class MyClinicCsvView(PermissionMixin, View):
    """The doctor's own clinic, every indicator by month (own data: nothing hidden)."""

    permission = "quality.view_own_data"

    def get(self, request):
        doctor = Doctor.objects.select_related("clinic").get(user=request.user)
        last = selectors.clinic_latest_month(clinic_id=doctor.clinic_id)
        rows: list = []
        header = [_("indicator"), _("month"), _("numerator"), _("denominator"), _("value")]
        if last:
            first = add_months(last, -35)
            for indicator in Indicator.objects.filter(active=True):
                series = selectors.monthly_series(
                    indicator=indicator,
                    label="",
                    first=first,
                    last=last,
                    clinic_id=doctor.clinic_id,
                )
                for month, n, d in zip(
                    series.months, series.numerators, series.denominators, strict=True
                ):
                    rows.append(
                        [
                            indicator.code,
                            f"{month:%Y-%m}",
                            n,
                            d,
                            _fmt(n / d if d else None, indicator),
                        ]
                    )
        return csv_response(header, rows, f"{doctor.clinic.provider_number}-egne-data.csv")


# --- Imports ------------------------------------------------------------------------------------------------


class ImportUploadView(PermissionMixin, TemplateView):
    permission = "quality.import"
    template_name = "quality/import/upload.html"

    def get_context_data(self, **kwargs):
        _scope, _allowed, description = services.import_scope(user=self.request.user)
        return {
            **super().get_context_data(**kwargs),
            "form": kwargs.get("form") or UploadForm(),
            "scope_description": description,
            "runs": ImportRun.objects.filter(actor=self.request.user)[:20],
            "indicators": Indicator.objects.filter(active=True),
        }

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        upload = form.cleaned_data["file"]
        try:
            run = services.import_start(
                actor=request.user, data=upload.read(), filename=upload.name, source="web"
            )
        except DomainError as error:
            form.add_error("file", error.message)
            return self.render_to_response(self.get_context_data(form=form))
        return HttpResponseRedirect(reverse("quality:import.detail", args=[run.pk]))


class ImportRunMixin(PermissionMixin):
    kwargs: dict[str, Any]

    @cached_property
    def run(self) -> ImportRun:
        return get_object_or_404(ImportRun, pk=self.kwargs["pk"])

    def get_permission_object(self):
        return self.run


class ImportRunView(ImportRunMixin, TemplateView):
    permission = "quality.view_import"
    template_name = "quality/import/detail.html"

    def get_template_names(self):
        if self.request.headers.get("HX-Request"):
            return ["quality/import/_status.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "run": self.run,
            "can_undo": self.request.user.has_perm("quality.undo_import", self.run),
        }


class ImportRunWriteView(ImportRunMixin, ServiceFormView):
    page = ImportRunView

    def success_url(self) -> str:
        return reverse("quality:import.detail", args=[self.run.pk])


class ImportUndoView(ImportRunWriteView):
    permission = "quality.undo_import"

    def perform(self, form):
        services.import_run_undo(actor=self.request.user, run=self.run)
        return _("The import is undone: its values are removed and the ones it replaced are back.")


class ImportRetryView(ImportRunWriteView):
    permission = "quality.undo_import"

    def perform(self, form):
        services.import_retry(actor=self.request.user, run=self.run)
        return _("The import is queued again.")


__all__ = ["Consent", "ImportStatus", "json"]
