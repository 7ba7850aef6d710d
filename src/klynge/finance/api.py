"""Grants and payouts for the REST API (FIN-2): what the grants page shows, for the
same people (`finance.view_grants`: regional units and the secretariat) and with the
same scope: a regional unit reads the clusters of its region as it stood on `?on`
(Region Østdanmark from 2027 for the staff of Hovedstaden and Sjælland), the
secretariat the nation or `?region`. Amounts are decimal strings in kroner ("1234.50").
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from klynge.api.permissions import EnginePermission, region_scope
from klynge.api.schema import (
    DATE_ALIAS,
    ON,
    REGION,
    Pagination,
    date_param,
    errors,
    int_param,
    whole_number,
)
from klynge.finance import selectors
from klynge.finance.models import Payout
from klynge.registry.api import ClusterRefOutput
from klynge.registry.models import Cluster
from klynge.registry.selectors import in_region

FIRST_YEAR, LAST_YEAR = 2017, 2100  # as the grants page (`finance.views.common.year_of`)

YEAR = OpenApiParameter(
    "year",
    whole_number(FIRST_YEAR, LAST_YEAR),
    description=f"The grant year ({FIRST_YEAR}–{LAST_YEAR}); default the year of `on`.",
)
CLUSTER = OpenApiParameter("cluster", whole_number(), description="Only this cluster (its id).")

_MONEY = {"max_digits": 14, "decimal_places": 2}


class GrantOutput(serializers.Serializer):
    cluster = ClusterRefOutput()
    region = serializers.CharField(allow_null=True, help_text="The region on `on`.")
    region_code = serializers.IntegerField(allow_null=True)
    year = serializers.IntegerField()
    capacities = serializers.IntegerField(
        help_text="Doctor capacities of the founding clinics on 1 January of the founding year."
    )
    patients_basis = serializers.IntegerField(help_text="Their listed patients then.")
    start_grant = serializers.DecimalField(**_MONEY)
    operating_grant = serializers.DecimalField(**_MONEY)
    supplementary_grant = serializers.DecimalField(**_MONEY)
    minimum_top_up = serializers.DecimalField(**_MONEY)
    total = serializers.DecimalField(**_MONEY)
    first_payout = serializers.DateField(
        allow_null=True, help_text="The first turn of the month after registration completed."
    )
    due_on = serializers.DateField(allow_null=True, help_text="When the year's grant is due.")
    paid = serializers.DecimalField(help_text="The year's payouts less reversals.", **_MONEY)
    due = serializers.DecimalField(help_text="What is left to pay for the year.", **_MONEY)
    returned = serializers.DecimalField(
        allow_null=True, help_text="Funds returned when the cluster was dissolved.", **_MONEY
    )


class PayoutOutput(serializers.Serializer):
    id = serializers.IntegerField()
    cluster = ClusterRefOutput()
    year = serializers.IntegerField()
    amount = serializers.DecimalField(help_text="Negative for a reversal.", **_MONEY)
    paid_on = serializers.DateField()
    payer = serializers.CharField(
        allow_null=True, help_text="The region that paid (on `paid_on`; kept as history)."
    )
    payer_code = serializers.IntegerField(allow_null=True)
    note = serializers.CharField(allow_blank=True)
    reverses = serializers.IntegerField(allow_null=True, help_text="The payout this reverses.")
    reversed_by = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True, help_text="Why it was reversed.")


def _year(request: Request, on: dt.date) -> int:
    year = int_param(request, "year", minimum=FIRST_YEAR, maximum=LAST_YEAR)
    return year if year is not None else min(max(on.year, FIRST_YEAR), LAST_YEAR)


class GrantListApi(generics.GenericAPIView):
    permission_classes = [EnginePermission]
    permission = "finance.view_grants"
    pagination_class = Pagination
    serializer_class = GrantOutput

    @extend_schema(
        operation_id="grants_list",
        parameters=[YEAR, ON, DATE_ALIAS, REGION, CLUSTER],
        responses={200: GrantOutput(many=True), **errors(400, 401, 403)},
        summary="What each cluster is granted for a year, what is paid and what is due",
    )
    def get(self, request: Request) -> Response:
        on = date_param(request)
        year = _year(request, on)
        region = region_scope(request, on, int_param(request, "region"))
        cluster_id = int_param(request, "cluster")
        only = Cluster.objects.filter(pk=cluster_id).first() if cluster_id is not None else None
        if cluster_id is not None and only is None:
            rows = []
        else:
            try:
                rows = selectors.grant_rows(year=year, region=region, only=only, on=on)
            except ValueError:
                raise serializers.ValidationError(
                    {"year": [_("No grant scheme is in force in %(year)s.") % {"year": year}]}
                ) from None
        data = [
            {
                "cluster": row.cluster,
                "region": row.region.name if row.region else None,
                "region_code": row.region.code if row.region else None,
                "year": year,
                "capacities": row.grant.capacities,
                "patients_basis": row.grant.patients_basis,
                "start_grant": row.grant.start,
                "operating_grant": row.grant.operating,
                "supplementary_grant": row.grant.supplementary,
                "minimum_top_up": row.grant.minimum_top_up,
                "total": row.grant.total,
                "first_payout": row.first_payout,
                "due_on": row.due_on(year),
                "paid": row.paid,
                "due": row.due,
                "returned": row.returned,
            }
            for row in rows
        ]
        page = self.paginate_queryset(data)
        return self.get_paginated_response(GrantOutput(page, many=True).data)


class PayoutListApi(generics.GenericAPIView):
    permission_classes = [EnginePermission]
    permission = "finance.view_grants"
    pagination_class = Pagination
    serializer_class = PayoutOutput

    @extend_schema(
        operation_id="payouts_list",
        parameters=[
            OpenApiParameter(
                "year",
                whole_number(FIRST_YEAR, LAST_YEAR),
                description=f"Only this grant year ({FIRST_YEAR}–{LAST_YEAR}); default all.",
            ),
            ON,
            DATE_ALIAS,
            REGION,
            CLUSTER,
        ],
        responses={200: PayoutOutput(many=True), **errors(400, 401, 403)},
        summary="The payouts recorded to clusters, with their reversals",
        description="Oldest first. A reversal is a negative payout naming the one it "
        "reverses; both stay. Scoped to the clusters of the region on `on`.",
    )
    def get(self, request: Request) -> Response:
        on = date_param(request)
        year = int_param(request, "year", minimum=FIRST_YEAR, maximum=LAST_YEAR)
        region = region_scope(request, on, int_param(request, "region"))
        cluster_id = int_param(request, "cluster")
        payouts = Payout.objects.select_related("cluster", "payer", "reversed_by").order_by(
            "paid_on", "id"
        )
        if region is not None:
            payouts = payouts.filter(in_region(region, on, field="cluster__municipality"))
        if year is not None:
            payouts = payouts.filter(year=year)
        if cluster_id is not None:
            payouts = payouts.filter(cluster_id=cluster_id)
        page = self.paginate_queryset(payouts)
        data = []
        for p in page or []:
            reversed_by = getattr(p, "reversed_by", None)
            data.append(
                {
                    "id": p.pk,
                    "cluster": p.cluster,
                    "year": p.year,
                    "amount": p.amount,
                    "paid_on": p.paid_on,
                    "payer": p.payer.name if p.payer else None,
                    "payer_code": p.payer.code if p.payer else None,
                    "note": p.note,
                    "reverses": p.reverses_id,
                    "reversed_by": reversed_by.pk if reversed_by else None,
                    "reason": p.reason,
                }
            )
        return self.get_paginated_response(PayoutOutput(data, many=True).data)
