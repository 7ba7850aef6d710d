from django.urls import path

from klynge.packages import idea_views, views

app_name = "packages"
P = "pakker/<int:pk>/"
urlpatterns = [
    path("pakker/", views.PackageListView.as_view(), name="list"),
    path("pakker/tema/<str:theme>/", views.ThemeView.as_view(), name="theme"),
    path("pakker/ny/", views.PackageCreatePageView.as_view(), name="create"),
    path("pakker/ny/opret/", views.PackageCreateView.as_view(), name="package.create"),
    path(P, views.PackageDetailView.as_view(), name="detail"),
    path(P + "rediger/", views.PackageEditView.as_view(), name="edit"),
    path(P + "rediger/gem/", views.VersionUpdateView.as_view(), name="version.update"),
    path(P + "gennemlaest/", views.VersionReviewView.as_view(), name="version.review"),
    path(P + "udgiv/", views.VersionPublishView.as_view(), name="version.publish"),
    path(P + "ny-version/", views.VersionNewView.as_view(), name="version.new"),
    path("klynger/<slug:slug>/pakker/<int:pk>/", views.AdoptPageView.as_view(), name="adopt"),
    path(
        "klynger/<slug:slug>/pakker/<int:pk>/tag-i-brug/",
        views.AdoptView.as_view(),
        name="package.adopt",
    ),
    # The idea bank
    path("ideer/", idea_views.IdeaListView.as_view(), name="idea.list"),
    path("ideer/ny/", idea_views.IdeaSubmitPageView.as_view(), name="idea.submit_page"),
    path("ideer/ny/indsend/", idea_views.IdeaSubmitView.as_view(), name="idea.submit"),
    path("ideer/moderering/", idea_views.ModerationView.as_view(), name="idea.moderation"),
    path("ideer/<int:pk>/", idea_views.IdeaDetailView.as_view(), name="idea.detail"),
    path("ideer/<int:pk>/udgiv/", idea_views.IdeaPublishView.as_view(), name="idea.publish"),
    path("ideer/<int:pk>/afvis/", idea_views.IdeaRejectView.as_view(), name="idea.reject"),
    path(
        "klynger/<slug:slug>/ideer/<int:pk>/tag-i-brug/",
        idea_views.IdeaAdoptView.as_view(),
        name="idea.adopt",
    ),
]
