"""Register reads for the REST API (PLAT-3). Public data only: the same figures the
public overview shows."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from klynge.registry import selectors


class ClusterOutput(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField()
    municipality = serializers.CharField()
    founded = serializers.DateField()
    clinics = serializers.IntegerField()
    doctors = serializers.IntegerField()
    listed_patients = serializers.IntegerField()


class ClusterListApi(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        responses=ClusterOutput(many=True), summary="All active clusters with their size today"
    )
    def get(self, request):
        rows = selectors.cluster_overview(on=selectors.today())
        data = [
            {
                "slug": r.cluster.slug,
                "name": r.cluster.name,
                "region": r.region.name,
                "municipality": r.municipality.name,
                "founded": r.cluster.founded,
                "clinics": r.clinics,
                "doctors": r.doctors,
                "listed_patients": r.listed_patients,
            }
            for r in rows
        ]
        return Response(ClusterOutput(data, many=True).data)
