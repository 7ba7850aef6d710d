from django.urls import path

from klynge.documents import views

app_name = "documents"
urlpatterns = [
    path("klynger/<slug:slug>/dokumenter/", views.ArchiveView.as_view(), name="archive"),
    path("klynger/<slug:slug>/dokumenter/upload/", views.UploadView.as_view(), name="upload"),
    path(
        "klynger/<slug:slug>/dokumenter/mapper/",
        views.FolderCreateView.as_view(),
        name="folder.create",
    ),
    path("klynger/<slug:slug>/dokumenter/<int:pk>/", views.DocumentView.as_view(), name="document"),
    path(
        "klynger/<slug:slug>/dokumenter/<int:pk>/ny-version/",
        views.VersionCreateView.as_view(),
        name="version.create",
    ),
    path(
        "klynger/<slug:slug>/dokumenter/version/<int:pk>/",
        views.DownloadView.as_view(),
        name="download",
    ),
]
