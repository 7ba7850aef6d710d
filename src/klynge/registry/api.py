"""Register reads for the REST API (PLAT-3). Public data only: the same figures the
public overview shows."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from klynge.registry import selectors


class ClusterOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField()
    region_code = serializers.IntegerField()
    municipality = serializers.CharField()
    founded = serializers.DateField()
    clinics = serializers.IntegerField()
    doctors = serializers.IntegerField()
    listed_patients = serializers.IntegerField()


class ClusterListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=ClusterOutput(many=True),
        summary="All clusters active on a date (default today), with their size and the "
        "region in force then",
        parameters=[OpenApiParameter("date", str, description="ISO date, e.g. 2027-01-15")],
    )
    def get(self, request):
        raw = request.query_params.get("date")
        try:
            on = dt.date.fromisoformat(raw) if raw else selectors.today()
        except ValueError:
            raise serializers.ValidationError(
                {"date": "Use an ISO date like 2027-01-15."}
            ) from None
        rows = selectors.cluster_overview(on=on)
        data = [
            {
                "slug": r.cluster.slug,
                "name": r.cluster.name,
                "region": r.region.name,
                "region_code": r.region.code,
                "municipality": r.municipality.name,
                "founded": r.cluster.founded,
                "clinics": r.clinics,
                "doctors": r.doctors,
                "listed_patients": r.listed_patients,
            }
            for r in rows
        ]
        return Response(ClusterOutput(data, many=True).data)
