from django.urls import path

from klynge.quality import views

app_name = "quality"
urlpatterns = [
    path("indikatorer/", views.IndicatorListView.as_view(), name="indicator.list"),
    path("indikatorer/<slug:code>/", views.IndicatorDetailView.as_view(), name="indicator.detail"),
    path("data/min-klinik/", views.MyClinicView.as_view(), name="clinic.mine"),
    path("data/min-klinik.csv", views.MyClinicCsvView.as_view(), name="clinic.mine_csv"),
    path("data/import/", views.ImportUploadView.as_view(), name="import.upload"),
    path("data/import/<int:pk>/", views.ImportRunView.as_view(), name="import.detail"),
    path("data/import/<int:pk>/fortryd/", views.ImportUndoView.as_view(), name="import.undo"),
    path("data/import/<int:pk>/igen/", views.ImportRetryView.as_view(), name="import.retry"),
    path(
        "klynger/<slug:slug>/data/", views.ClusterDashboardView.as_view(), name="cluster.dashboard"
    ),
    path(
        "klynger/<slug:slug>/data.csv",
        views.DashboardCsvView.as_view(),
        name="cluster.dashboard_csv",
    ),
    path("klynger/<slug:slug>/samtykke/", views.ConsentView.as_view(), name="cluster.consent"),
    path(
        "klynger/<slug:slug>/samtykke/giv/",
        views.ConsentGiveView.as_view(),
        name="consent.give",
    ),
    path(
        "klynger/<slug:slug>/samtykke/tilbagekald/",
        views.ConsentRevokeView.as_view(),
        name="consent.revoke",
    ),
    path(
        "klynger/<slug:slug>/praesentation/",
        views.PresentationSetView.as_view(),
        name="presentation.set",
    ),
    path(
        "klynger/<slug:slug>/data/<slug:code>/",
        views.ClusterIndicatorView.as_view(),
        name="cluster.indicator",
    ),
    path(
        "klynger/<slug:slug>/data/<slug:code>/tragt.json",
        views.FunnelJsonView.as_view(),
        name="cluster.funnel_json",
    ),
    path(
        "klynger/<slug:slug>/data/<slug:code>/forloeb.json",
        views.RunChartJsonView.as_view(),
        name="cluster.run_json",
    ),
    path(
        "klynger/<slug:slug>/data/<slug:code>/data.csv",
        views.BenchmarkCsvView.as_view(),
        name="cluster.csv",
    ),
    path(
        "klynger/<slug:slug>/data/<slug:code>/forloeb.csv",
        views.RunChartCsvView.as_view(),
        name="cluster.run_csv",
    ),
    path(
        "klynger/<slug:slug>/data/<slug:code>/maal/",
        views.GoalCreateView.as_view(),
        name="cluster.goal",
    ),
    path(
        "klynger/<slug:slug>/data/<slug:code>/indsats/",
        views.InterventionCreateView.as_view(),
        name="cluster.intervention",
    ),
]
