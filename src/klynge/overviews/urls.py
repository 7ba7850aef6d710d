from django.urls import path

from klynge.overviews import views

app_name = "overviews"
urlpatterns = [
    path("", views.CoverageView.as_view(), name="coverage"),
    path("uden-klynge.csv", views.UnclusteredExportView.as_view(), name="coverage.unclustered_csv"),
    path(
        "klinikker/<int:pk>/akkreditering/",
        views.ClinicAccreditationView.as_view(),
        name="clinic.accreditation",
    ),
    path("program/", views.DashboardView.as_view(), name="dashboard"),
    path("program/<slug:figure>.csv", views.DashboardCsvView.as_view(), name="dashboard.csv"),
]
