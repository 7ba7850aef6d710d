"""Register reads for the REST API (PLAT-3), through the selectors the web pages use.

- `GET clusters/`: the public list (the overview's rows), filtered by `?region`,
  `?municipality` as they stood on `?on`, paged.
- `GET clusters/<id or slug>/`: one cluster as its public page shows it.
- `GET clusters/<id or slug>/members/`: member clinics, participating doctors and roles
  on `?on`, for those the members page is for (`registry.view_members`); clinic sizes
  only for those who may see them (`registry.view_clinic_sizes`).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from klynge.api.permissions import EnginePermission
from klynge.api.schema import (
    DATE_ALIAS,
    MAX_ID,
    MUNICIPALITY,
    ON,
    PUBLIC,
    REGION,
    Pagination,
    date_param,
    errors,
    int_param,
)
from klynge.core.permissions import has_perm
from klynge.registry import selectors
from klynge.registry.models import Cluster, Municipality, RoleKind


class ClusterOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    region = serializers.CharField(help_text="The region the cluster lay in on `on`.")
    region_code = serializers.IntegerField()
    municipality = serializers.CharField()
    municipality_code = serializers.IntegerField()
    founded = serializers.DateField()
    clinics = serializers.IntegerField(help_text="Member clinics on `on`.")
    doctors = serializers.IntegerField(help_text="Participating doctors on `on`.")
    capacities = serializers.IntegerField(help_text="Doctor capacities of the member clinics.")
    listed_patients = serializers.IntegerField()


class CoordinatorOutput(serializers.Serializer):
    name = serializers.CharField()
    clinic = serializers.CharField()


class ClusterDetailOutput(serializers.Serializer):
    id = serializers.IntegerField()
    slug = serializers.CharField()
    name = serializers.CharField()
    on = serializers.DateField(help_text="The date the figures are as of.")
    active = serializers.BooleanField(help_text="Founded and not dissolved on `on`.")
    region = serializers.CharField(allow_null=True)
    region_code = serializers.IntegerField(allow_null=True)
    municipality = serializers.CharField()
    municipality_code = serializers.IntegerField()
    founded = serializers.DateField()
    dissolved = serializers.DateField(allow_null=True)
    registration_completed = serializers.DateField(allow_null=True)
    cvr = serializers.CharField(allow_blank=True)
    coordinator = CoordinatorOutput(allow_null=True)
    clinics = serializers.IntegerField()
    doctors = serializers.IntegerField()
    capacities = serializers.IntegerField()
    listed_patients = serializers.IntegerField()


class ClusterRefOutput(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    slug = serializers.CharField()
    name = serializers.CharField()


class MemberClinicOutput(serializers.Serializer):
    provider_number = serializers.CharField()
    name = serializers.CharField()
    municipality = serializers.CharField()
    municipality_code = serializers.IntegerField()
    start = serializers.DateField(help_text="First day as a member.")
    end = serializers.DateField(allow_null=True, help_text="First day no longer a member.")
    capacities = serializers.IntegerField(
        allow_null=True, help_text="Only for those who may see clinic sizes; else null."
    )
    listed_patients = serializers.IntegerField(allow_null=True)


class MemberDoctorOutput(serializers.Serializer):
    name = serializers.CharField()
    clinic = serializers.CharField()
    provider_number = serializers.CharField(help_text="The doctor's clinic.")
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)


class MemberRoleOutput(serializers.Serializer):
    role = serializers.ChoiceField(choices=RoleKind.choices)
    label = serializers.CharField()
    doctor = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField(allow_null=True)


class MembersOutput(serializers.Serializer):
    cluster = ClusterRefOutput()
    on = serializers.DateField()
    clinics = MemberClinicOutput(many=True)
    doctors = MemberDoctorOutput(many=True)
    roles = MemberRoleOutput(many=True)


REF = OpenApiParameter(
    "ref",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The cluster's id, or its slug (the last part of its web address; a "
    "slug it had before a rename still finds it). The id never changes.",
)


def cluster_from_ref(ref: str) -> Cluster:
    """A cluster by id (digits), slug or former slug; 404 when there is none."""
    qs = Cluster.objects.select_related("municipality")
    if ref.isascii() and ref.isdigit():
        cluster = qs.filter(pk=int(ref)).first() if int(ref) <= MAX_ID else None
    else:
        # A former slug (before a rename) still finds the cluster, as on the web.
        cluster = qs.filter(slug=ref).first() or qs.filter(former_slugs__slug=ref).first()
    if cluster is None:
        raise NotFound
    return cluster


def _filters(request: Request, on: dt.date) -> tuple[int | None, int | None]:
    """`?region` and `?municipality`, refused (400) with the web pages' reason when they
    cannot be answered on `on`."""
    region = int_param(request, "region")
    municipality = int_param(request, "municipality")
    if municipality is not None and not Municipality.objects.filter(pk=municipality).exists():
        raise serializers.ValidationError(
            {
                "municipality": [
                    _("There is no municipality with the code %(code)s.") % {"code": municipality}
                ]
            }
        )
    problem = selectors.filter_problem(on=on, region=region, municipality=municipality)
    if problem:
        in_force = selectors.filter_problem(on=on, region=region) is None
        raise serializers.ValidationError({"municipality" if in_force else "region": [problem]})
    return region, municipality


class ClusterListApi(generics.GenericAPIView):
    permission_classes = [EnginePermission]
    permission = "registry.view_cluster"
    pagination_class = Pagination
    serializer_class = ClusterOutput

    @extend_schema(
        operation_id="clusters_list",
        auth=PUBLIC,
        responses={200: ClusterOutput(many=True), **errors(400, 401)},
        summary="The clusters active on a date, with their size and the region in force then",
        parameters=[ON, DATE_ALIAS, REGION, MUNICIPALITY],
    )
    def get(self, request: Request) -> Response:
        on = date_param(request)
        region, municipality = _filters(request, on)
        rows = selectors.cluster_overview(on=on, region=region, municipality=municipality)
        data = [
            {
                "id": r.cluster.pk,
                "slug": r.cluster.slug,
                "name": r.cluster.name,
                "region": r.region.name,
                "region_code": r.region.code,
                "municipality": r.municipality.name,
                "municipality_code": r.municipality.code,
                "founded": r.cluster.founded,
                "clinics": r.clinics,
                "doctors": r.doctors,
                "capacities": r.capacities,
                "listed_patients": r.listed_patients,
            }
            for r in rows
        ]
        page = self.paginate_queryset(data)
        return self.get_paginated_response(ClusterOutput(page, many=True).data)


class ClusterDetailApi(generics.GenericAPIView):
    permission_classes = [EnginePermission]
    permission = "registry.view_cluster"
    object_permission = True
    serializer_class = ClusterDetailOutput

    @extend_schema(
        operation_id="clusters_retrieve",
        auth=PUBLIC,
        parameters=[REF, ON, DATE_ALIAS],
        responses={200: ClusterDetailOutput, **errors(400, 401, 404)},
        summary="One cluster as its public page shows it, with its size on a date",
    )
    def get(self, request: Request, ref: str) -> Response:
        cluster = cluster_from_ref(ref)
        self.check_object_permissions(request, cluster)
        on = date_param(request)
        size = selectors.cluster_sizes(on=on, cluster_ids=[cluster.pk]).get(
            cluster.pk, selectors.ClusterSize()
        )
        region = selectors.region_of(cluster.municipality_id, on)
        coordinator = selectors.cluster_coordinator_on(cluster=cluster, on=on)
        data = {
            "id": cluster.pk,
            "slug": cluster.slug,
            "name": cluster.name,
            "on": on,
            "active": Cluster.objects.active_on(on).filter(pk=cluster.pk).exists(),
            "region": region.name if region else None,
            "region_code": region.code if region else None,
            "municipality": cluster.municipality.name,
            "municipality_code": cluster.municipality.code,
            "founded": cluster.founded,
            "dissolved": cluster.dissolved,
            "registration_completed": cluster.registration_completed,
            "cvr": cluster.cvr,
            "coordinator": (
                {"name": coordinator.name, "clinic": coordinator.clinic.name}
                if coordinator
                else None
            ),
            "clinics": size.clinics,
            "doctors": size.doctors,
            "capacities": size.capacities,
            "listed_patients": size.listed_patients,
        }
        return Response(ClusterDetailOutput(data).data)


class ClusterMembersApi(generics.GenericAPIView):
    permission_classes = [EnginePermission]
    permission = "registry.view_members"
    object_permission = True
    serializer_class = MembersOutput

    @extend_schema(
        operation_id="clusters_members",
        parameters=[REF, ON, DATE_ALIAS],
        responses={200: MembersOutput, **errors(400, 401, 404)},
        summary="Member clinics, participating doctors and roles of a cluster on a date",
        description="For the cluster's members, its regional unit and the secretariat "
        "(as the members page). Clinic sizes are given only to those who may see them "
        "(the cluster's coordinator and data person, the region, the secretariat).",
    )
    def get(self, request: Request, ref: str) -> Response:
        cluster = cluster_from_ref(ref)
        self.check_object_permissions(request, cluster)
        on = date_param(request)
        memberships = list(selectors.cluster_memberships_on(cluster=cluster, on=on))
        sees_sizes = has_perm(request.user, "registry.view_clinic_sizes", cluster)
        counts = (
            selectors.clinic_counts_on(on=on, clinic_ids=[m.clinic_id for m in memberships])
            if sees_sizes
            else {}
        )
        clinics = []
        for m in memberships:
            count = counts.get(m.clinic_id)
            clinics.append(
                {
                    "provider_number": m.clinic.provider_number,
                    "name": m.clinic.name,
                    "municipality": m.clinic.municipality.name,
                    "municipality_code": m.clinic.municipality_id,
                    "start": m.start,
                    "end": m.end,
                    "capacities": count.capacities if count else None,
                    "listed_patients": count.listed_patients if count else None,
                }
            )
        doctors = [
            {
                "name": p.doctor.name,
                "clinic": p.doctor.clinic.name,
                "provider_number": p.doctor.clinic.provider_number,
                "start": p.start,
                "end": p.end,
            }
            for p in selectors.cluster_participations_on(cluster=cluster, on=on)
        ]
        roles = [
            {
                "role": r.role,
                "label": r.get_role_display(),
                "doctor": r.doctor.name,
                "start": r.start,
                "end": r.end,
            }
            for r in selectors.cluster_roles_on(cluster=cluster, on=on).order_by(
                "role", "doctor__name"
            )
        ]
        data = {
            "cluster": cluster,
            "on": on,
            "clinics": clinics,
            "doctors": doctors,
            "roles": roles,
        }
        return Response(MembersOutput(data).data)
