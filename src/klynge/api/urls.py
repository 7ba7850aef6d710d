from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from klynge.registry.api import ClusterListApi

app_name = "api"
urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("clusters/", ClusterListApi.as_view(), name="clusters"),
]
