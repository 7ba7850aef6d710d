from django.urls import path

from klynge.packages import idea_views, story_views, views

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
    path(P + "filer/", views.FileAddView.as_view(), name="file.add"),
    path(P + "filer/<int:file_pk>/", views.FileDownloadView.as_view(), name="file.download"),
    path(P + "filer/<int:file_pk>/slet/", views.FileRemoveView.as_view(), name="file.remove"),
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
    # Good cluster stories
    path("historier/", story_views.StoryListView.as_view(), name="story.list"),
    path("historier/<int:pk>/", story_views.StoryDetailView.as_view(), name="story.detail"),
    path("historier/<int:pk>/rediger/", story_views.StoryEditView.as_view(), name="story.edit"),
    path(
        "historier/<int:pk>/rediger/gem/",
        story_views.StoryUpdateView.as_view(),
        name="story.update",
    ),
    path("historier/<int:pk>/send/", story_views.StorySubmitView.as_view(), name="story.submit"),
    path(
        "historier/<int:pk>/gennemlaest/",
        story_views.StoryReviewView.as_view(),
        name="story.review",
    ),
    path(
        "historier/<int:pk>/send-tilbage/",
        story_views.StoryReturnView.as_view(),
        name="story.return",
    ),
    path(
        "historier/<int:pk>/godkend/", story_views.StoryApproveView.as_view(), name="story.approve"
    ),
    path(
        "klynger/<slug:slug>/historier/ny/",
        story_views.StoryCreatePageView.as_view(),
        name="story.create_page",
    ),
    path(
        "klynger/<slug:slug>/historier/ny/opret/",
        story_views.StoryCreateView.as_view(),
        name="story.create",
    ),
]
