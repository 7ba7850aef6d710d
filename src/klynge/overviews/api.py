"""Coverage for the REST API (REG-7): the share of clinics and of GPs in a cluster on a
date, nationally, per region and per municipality. The same selector as the coverage
page (`registry.selectors.coverage`) and the same scope: a regional unit's municipality
rows are its region's on `?on`; the national and regional totals are aggregates and
shown to all who may read coverage."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from klynge.api.permissions import EnginePermission, region_scope
from klynge.api.schema import DATE_ALIAS, MUNICIPALITY, ON, REGION, date_param, errors, int_param
from klynge.registry import selectors


class CoverageRowOutput(serializers.Serializer):
    code = serializers.IntegerField(help_text="Region or municipality code (0: Denmark).")
    name = serializers.CharField()
    clinics = serializers.IntegerField()
    clinics_in_cluster = serializers.IntegerField()
    clinic_share = serializers.FloatField(
        allow_null=True, help_text="Between 0 and 1; null without clinics."
    )
    doctors = serializers.IntegerField()
    doctors_in_cluster = serializers.IntegerField()
    doctor_share = serializers.FloatField(allow_null=True)


class CoverageOutput(serializers.Serializer):
    on = serializers.DateField()
    region_code = serializers.IntegerField(
        allow_null=True, help_text="The region the municipality rows are limited to."
    )
    national = CoverageRowOutput()
    regions = CoverageRowOutput(many=True, help_text="The regions in force on `on`.")
    municipalities = CoverageRowOutput(many=True)
    unclustered_clinics = serializers.IntegerField(
        help_text="Clinics in no cluster on `on`, within the municipality rows' scope."
    )


def _row(row: selectors.CoverageRow) -> dict:
    return {
        "code": row.code,
        "name": row.name,
        "clinics": row.clinics,
        "clinics_in_cluster": row.clinics_in_cluster,
        "clinic_share": row.clinic_share,
        "doctors": row.doctors,
        "doctors_in_cluster": row.doctors_in_cluster,
        "doctor_share": row.doctor_share,
    }


class CoverageApi(generics.GenericAPIView):
    permission_classes = [EnginePermission]
    permission = "overviews.view_coverage"
    serializer_class = CoverageOutput

    @extend_schema(
        operation_id="coverage_retrieve",
        parameters=[ON, DATE_ALIAS, REGION, MUNICIPALITY],
        responses={200: CoverageOutput, **errors(400, 401, 403)},
        summary="Share of clinics and doctors in a cluster on a date",
        description="For regional units (their own region on `on`) and the secretariat "
        "(all, or `?region`). `?municipality` keeps one municipality row.",
    )
    def get(self, request: Request) -> Response:
        on = date_param(request)
        region = region_scope(request, on, int_param(request, "region"))
        municipality = int_param(request, "municipality")
        if municipality is not None:
            problem = selectors.filter_problem(on=on, region=region, municipality=municipality)
            known = selectors.municipalities_in(None, on).filter(pk=municipality).exists()
            if problem or not known:
                raise serializers.ValidationError(
                    {
                        "municipality": [
                            problem
                            or _("There is no municipality with the code %(code)s.")
                            % {"code": municipality}
                        ]
                    }
                )
        result = selectors.coverage(on=on, region=region)
        municipalities = [
            m for m in result.municipalities if municipality is None or m.code == municipality
        ]
        unclustered = [
            c
            for c in result.unclustered
            if municipality is None or c.municipality_id == municipality
        ]
        data = {
            "on": on,
            "region_code": region,
            "national": _row(result.national),
            "regions": [_row(r) for r in result.regions],
            "municipalities": [_row(m) for m in municipalities],
            "unclustered_clinics": len(unclustered),
        }
        return Response(CoverageOutput(data).data)
