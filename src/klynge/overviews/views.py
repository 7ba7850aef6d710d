"""Read-only dashboards for regions and the national secretariat (REG-7)."""

from __future__ import annotations

from typing import Any

from django.views.generic import TemplateView, View

from klynge.core.downloads import csv_response
from klynge.core.views import PermissionMixin
from klynge.registry import selectors
from klynge.registry.models import Region


def _scope(user) -> int | None:
    """Regional staff see their region's detail; the secretariat sees all."""
    return None if user.is_secretariat else user.region_id


class CoverageView(PermissionMixin, TemplateView):
    permission = "overviews.view_coverage"
    template_name = "overviews/coverage.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        on = selectors.today()
        region = _scope(self.request.user)
        return {
            **super().get_context_data(**kwargs),
            "on": on,
            "coverage": selectors.coverage(on=on, region=region),
            "region": Region.objects.filter(pk=region).first() if region else None,
        }


class UnclusteredExportView(PermissionMixin, View):
    permission = "overviews.view_coverage"

    def get(self, request):
        on = selectors.today()
        result = selectors.coverage(on=on, region=_scope(request.user))
        header = [
            "provider_number",
            "clinic",
            "address",
            "postal_code",
            "city",
            "municipality",
            "region",
        ]
        rows = [
            [
                c.provider_number,
                c.name,
                c.address,
                c.postal_code,
                c.city,
                c.municipality.name,
                c.municipality.region.name,
            ]
            for c in result.unclustered
        ]
        return csv_response(header, rows, f"klinikker-uden-klynge-{on.isoformat()}.csv")
