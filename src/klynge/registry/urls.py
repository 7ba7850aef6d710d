from django.urls import path

from klynge.registry import views

app_name = "registry"
urlpatterns = [
    path("", views.ClusterListView.as_view(), name="cluster.list"),
    path("eksport.<str:fmt>", views.RegisterExportView.as_view(), name="cluster.export"),
    path("ny/", views.ClusterRegisterView.as_view(), name="cluster.register"),
    path("ny/navnetjek/", views.NameCheckView.as_view(), name="cluster.name_check"),
    path("klinikker/soeg/", views.ClinicSearchView.as_view(), name="clinic.search"),
    path("<slug:slug>/", views.ClusterDetailView.as_view(), name="cluster.detail"),
    path("<slug:slug>/medlemmer/", views.ClusterMembersView.as_view(), name="cluster.members"),
    path("<slug:slug>/historik/", views.ClusterHistoryView.as_view(), name="cluster.history"),
    path(
        "<slug:slug>/registrering/",
        views.ClusterRegistrationView.as_view(),
        name="cluster.registration",
    ),
    path("<slug:slug>/rediger/", views.ClusterEditView.as_view(), name="cluster.edit"),
    path(
        "<slug:slug>/dokumenter/<str:kind>/",
        views.DocumentDownloadView.as_view(),
        name="document.download",
    ),
    path(
        "<slug:slug>/dokumenter/<str:kind>/upload/",
        views.DocumentUploadView.as_view(),
        name="document.upload",
    ),
    path(
        "<slug:slug>/klinikker/tilfoej/",
        views.MembershipAddView.as_view(),
        name="membership.add",
    ),
    path(
        "<slug:slug>/klinikker/tilfoej/registreret/",
        views.MembershipJoinView.as_view(),
        name="membership.join",
    ),
    path(
        "<slug:slug>/klinikker/tilfoej/ny/",
        views.ClinicCreateJoinView.as_view(),
        name="clinic.create_join",
    ),
    path(
        "<slug:slug>/klinikker/<int:pk>/udmeld/",
        views.MembershipEndView.as_view(),
        name="membership.end",
    ),
    path(
        "<slug:slug>/laeger/tilfoej/",
        views.ParticipationAddView.as_view(),
        name="participation.add",
    ),
    path(
        "<slug:slug>/laeger/<int:pk>/udmeld/",
        views.ParticipationEndView.as_view(),
        name="participation.end",
    ),
    path("<slug:slug>/roller/tilfoej/", views.RoleAddView.as_view(), name="role.add"),
    path("<slug:slug>/roller/<int:pk>/afslut/", views.RoleEndView.as_view(), name="role.end"),
]
