"""Read-only dashboards for regions and the national secretariat (REG-7)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.downloads import csv_response
from klynge.core.views import PermissionMixin
from klynge.registry import selectors
from klynge.registry.forms import AsOfForm


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
        return {
            **super().get_context_data(**kwargs),
            "form": form,
            "on": on,
            "query": f"?dato={on.isoformat()}",
            "coverage": selectors.coverage(on=on, region=region.pk if region else None),
            "region": region,
        }


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
        ]
        rows = [
            [
                c.provider_number,
                c.name,
                c.address,
                c.postal_code,
                c.city,
                c.municipality.name,
                regions[c.municipality_id].name,
            ]
            for c in result.unclustered
        ]
        return csv_response(header, rows, f"klinikker-uden-klynge-{on.isoformat()}.csv")
