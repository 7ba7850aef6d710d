from django.urls import path

from klynge.governance import views

app_name = "governance"
urlpatterns = [
    # --- Statutes (GOV-5) and founding paperwork (GOV-1) ---------------------------------
    path("klynger/<slug:slug>/vedtaegter/", views.StatutesView.as_view(), name="statutes"),
    path(
        "klynger/<slug:slug>/vedtaegter/ny/", views.StatutesAddView.as_view(), name="statutes.add"
    ),
    path(
        "klynger/<slug:slug>/vedtaegter/<int:pk>/fil/",
        views.StatutesFileView.as_view(),
        name="statutes.file",
    ),
    path("klynger/<slug:slug>/skabeloner/", views.PaperworkView.as_view(), name="paperwork"),
    path(
        "klynger/<slug:slug>/skabeloner/<str:kind>.<str:fmt>",
        views.PaperworkDownloadView.as_view(),
        name="paperwork.download",
    ),
    # General assemblies are meetings (meetings app); their elections are governance's,
    # recorded from the minutes page.
    path(
        "klynger/<slug:slug>/moeder/<int:pk>/referat/valg/",
        views.ElectionRecordView.as_view(),
        name="election.record",
    ),
]
