from django.urls import path

from klynge.core import views

app_name = "core"
urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("sundhed/", views.HealthView.as_view(), name="health"),
]
