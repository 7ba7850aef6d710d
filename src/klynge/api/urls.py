from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from klynge.quality.api import ImportCreateApi, ImportRunApi
from klynge.registry.api import ClusterListApi

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("clusters/", ClusterListApi.as_view(), name="clusters"),
    path("imports/", ImportCreateApi.as_view(), name="imports"),
    path("imports/<int:pk>/", ImportRunApi.as_view(), name="import"),
]
