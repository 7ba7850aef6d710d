"""Read-only dashboards for regions and the national secretariat (REG-7)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django import forms
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from klynge.core.downloads import csv_response
from klynge.core.forms import AsOfForm, DanishDateField
from klynge.core.views import PermissionMixin, ServiceFormView
from klynge.overviews import charts, dashboard
from klynge.registry import accreditation, selectors
from klynge.registry.models import Accreditation, Clinic, Doctor


def _scope(user, on) -> int | None:
    """Regional staff see their region's detail as of `on` (from 1 January 2027 Region
    Østdanmark for the staff of Hovedstaden and Sjælland); the secretariat sees all."""
    region = selectors.staff_scope(user, on)
    return region.pk if region else None


class CoverageView(PermissionMixin, TemplateView):
    permission = "overviews.view_coverage"
    template_name = "overviews/coverage.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = AsOfForm(self.request.GET or None)
        on = form.on()
        region = selectors.staff_scope(self.request.user, on)
        coverage = selectors.coverage(on=on, region=region.pk if region else None)
        # A regional unit sees its own region's figures, not the nation's or the others'.
        own = [row for row in coverage.regions if region and row.code == region.code]
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "on": on,
            "query": f"?dato={on.isoformat()}",
            "coverage": coverage,
            "region": region,
            "headline": own[0] if own else coverage.national,
            "region_rows": own if region else coverage.regions,
            "unclustered": follow_up(coverage.unclustered),
            # The clinics whose accreditation this user keeps (their region's, today).
            "editable": set(
                accreditation.clinics_for_staff(user=self.request.user)
                .filter(pk__in=[c.pk for c in coverage.unclustered])
                .values_list("pk", flat=True)
            ),
            "accreditation_form": AccreditationForm(),
            "open_clinic": kwargs.get("pk"),  # a refused write for this clinic
        }


class AccreditationForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("Accreditation"), choices=Accreditation.choices)
    as_of = DanishDateField(label=gettext_lazy("Status as of"), required=False)


class ClinicAccreditationView(ServiceFormView):
    """Record a clinic's accreditation status from the list of clinics in no cluster:
    the unit of the clinic's region (another region's clinic answers 404) or the
    secretariat."""

    permission = "registry.change_accreditation"
    form_class = AccreditationForm
    form_name = "accreditation_form"
    page = CoverageView

    @cached_property
    def clinic(self) -> Clinic:
        return get_object_or_404(
            accreditation.clinics_for_staff(user=self.request.user), pk=self.kwargs["pk"]
        )

    def perform(self, form: forms.Form) -> str:
        clinic = accreditation.clinic_accreditation_set(
            actor=self.request.user,
            clinic=self.clinic,
            status=form.cleaned_data["status"],
            as_of=form.cleaned_data["as_of"],
        )
        return _("The accreditation of %(clinic)s is saved.") % {"clinic": clinic.name}

    def post(self, request, *args, **kwargs):
        self.clinic  # noqa: B018 - another region's clinic is 404 before the form is read
        return super().post(request, *args, **kwargs)

    def success_url(self) -> str:
        return f"{reverse('overviews:coverage')}#clinic-{self.clinic.pk}"


@dataclass(frozen=True)
class FollowUp:
    """A clinic in no cluster with what a unit needs to contact it: its doctors."""

    clinic: Clinic
    doctors: list[Doctor]

    @property
    def emails(self) -> list[str]:
        return [d.email for d in self.doctors if d.email]


def follow_up(clinics: list[Clinic]) -> list[FollowUp]:
    by_clinic: dict[int, list[Doctor]] = {c.pk: [] for c in clinics}
    for doctor in Doctor.objects.filter(clinic_id__in=by_clinic).order_by("name", "id"):
        by_clinic[doctor.clinic_id].append(doctor)
    return [FollowUp(c, by_clinic[c.pk]) for c in clinics]


class UnclusteredExportView(PermissionMixin, View):
    permission = "overviews.view_coverage"

    def get(self, request):
        on = AsOfForm(request.GET or None).on()
        result = selectors.coverage(on=on, region=_scope(request.user, on))
        regions = selectors.region_map(on)
        header = [
            _("Provider number"),
            _("Clinic"),
            _("Address"),
            _("Postal code"),
            _("City"),
            _("Municipality"),
            _("Region"),
            _("Doctors"),
            _("Doctor names"),
            _("E-mail"),
            _("Accreditation"),
            _("Accreditation status as of"),
        ]
        rows = [
            [
                f.clinic.provider_number,
                f.clinic.name,
                f.clinic.address,
                f.clinic.postal_code,
                f.clinic.city,
                f.clinic.municipality.name,
                regions[f.clinic.municipality_id].name,
                len(f.doctors),
                ", ".join(d.name for d in f.doctors),
                ", ".join(f.emails),
                f.clinic.get_accreditation_display(),
                f.clinic.accreditation_date,
            ]
            for f in follow_up(result.unclustered)
        ]
        return csv_response(header, rows, f"klinikker-uden-klynge-{on.isoformat()}.csv")


class DashboardView(PermissionMixin, TemplateView):
    """The programme dashboard (KNOW-5) as of a date: national for the secretariat, the
    unit's region for regional staff."""

    permission = "overviews.view_coverage"
    template_name = "overviews/dashboard.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = AsOfForm(self.request.GET or None)
        on = form.on()
        region = selectors.staff_scope(self.request.user, on)
        board = dashboard.build(on=on, region=region)
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "on": on,
            "query": f"?dato={on.isoformat()}",
            "board": board,
            "charts": charts.dashboard_specs(board),
            "region": region,
        }


class DashboardCsvView(PermissionMixin, View):
    """One figure's rows as CSV (Danish Excel's conventions)."""

    permission = "overviews.view_coverage"

    def get(self, request, figure: str):
        on = AsOfForm(request.GET or None).on()
        board = dashboard.build(on=on, region=selectors.staff_scope(request.user, on))
        if figure not in board.figures:
            raise Http404
        f = board[figure]
        return csv_response(f.header, f.rows, f"{figure.replace('_', '-')}-{on.isoformat()}.csv")
