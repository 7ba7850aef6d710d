"""`/api/v1/…`: the versioned endpoints (each domain's `api.py`) and their schema;
`/api/docs/`: the documentation page."""

from django.urls import path, re_path

from klynge.api.views import DocsView, NotFoundApi, SchemaView
from klynge.finance.api import GrantListApi, PayoutListApi
from klynge.overviews.api import CoverageApi
from klynge.quality.api import ImportCreateApi, ImportRunApi
from klynge.registry.api import ClusterDetailApi, ClusterListApi, ClusterMembersApi

V1 = "v1/"

app_name = "api"
urlpatterns = [
    path("docs/", DocsView.as_view(), name="docs"),
    path(f"{V1}schema/", SchemaView.as_view(), name="schema"),
    path(f"{V1}clusters/", ClusterListApi.as_view(), name="clusters"),
    path(f"{V1}clusters/<str:ref>/", ClusterDetailApi.as_view(), name="cluster"),
    path(f"{V1}clusters/<str:ref>/members/", ClusterMembersApi.as_view(), name="cluster.members"),
    path(f"{V1}coverage/", CoverageApi.as_view(), name="coverage"),
    path(f"{V1}grants/", GrantListApi.as_view(), name="grants"),
    path(f"{V1}payouts/", PayoutListApi.as_view(), name="payouts"),
    path(f"{V1}imports/", ImportCreateApi.as_view(), name="imports"),
    path(f"{V1}imports/<str:pk>/", ImportRunApi.as_view(), name="import"),
    # Any other address under /api/v1/ answers 404 with the API's error body, not a page.
    re_path(rf"^{V1}", NotFoundApi.as_view()),
]
