"""Good cluster stories in the browser (KNOW-2 ★). Each write is one view class with one
URL; a story's permissions are asked on the story (its cluster's roles, the
secretariat everywhere). A story not yet public answers 404 to everyone who may not
read it yet."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from klynge.core.dates import today
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, PermissionMixin, ServiceFormView
from klynge.packages import stories
from klynge.packages.forms import StoryForm, StoryReturnForm
from klynge.packages.models import Story, StoryStatus, VersionStatus
from klynge.registry.selectors import user_clusters


class StoryListView(PermissionMixin, TemplateView):
    permission = "packages.view_ideas"
    template_name = "packages/stories/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = self.request.GET.get("q", "").strip()[:100]
        user = self.request.user
        reviewer = has_perm(user, "packages.review_stories")
        return {
            **super().get_context_data(**kwargs),
            "stories": stories.search_public(on=today(), query=query),
            "query": query,
            "waiting": stories.waiting_for_review() if reviewer else [],
            "reviewer": reviewer,
            "draft_clusters": [
                c for c in user_clusters(user=user) if has_perm(user, "packages.draft_story", c)
            ]
            if user.is_authenticated
            else [],
        }


class StoryMixin(PermissionMixin):
    kwargs: dict[str, Any]

    @cached_property
    def story(self) -> Story:
        story = (
            Story.objects.select_related("cluster", "indicator", "idea", "package")
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if story is None:
            raise Http404
        return story


class StoryDetailView(StoryMixin, TemplateView):
    permission = "packages.view_ideas"
    template_name = "packages/stories/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user, story, on = self.request.user, self.story, today()
        if not stories.can_read(user, story, on):
            raise Http404
        draft = story.status == StoryStatus.DRAFT
        context = super().get_context_data(**kwargs)
        context.update(
            story=story,
            public=stories.is_public(story, on),
            can_edit=draft and has_perm(user, "packages.draft_story", story),
            can_review=story.status == StoryStatus.SUBMITTED
            and has_perm(user, "packages.review_stories", story),
            can_approve=story.status == StoryStatus.REVIEWED
            and has_perm(user, "packages.approve_story", story),
            package_version=story.package.versions.filter(status=VersionStatus.PUBLISHED).first()
            if story.package
            else None,
        )
        context.setdefault("return_form", StoryReturnForm())
        return context


class StoryCreatePageView(ClusterMixin, TemplateView):
    permission = "packages.draft_story"
    template_name = "packages/stories/create.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", StoryForm(cluster=self.cluster))
        context["cluster_stories"] = stories.cluster_stories(self.cluster)
        return context


class StoryCreateView(ClusterMixin, ServiceFormView):
    permission = "packages.draft_story"
    page = StoryCreatePageView

    def get_form(self) -> forms.Form:
        return StoryForm(**self.get_form_kwargs(), cluster=self.cluster)

    def perform(self, form: forms.Form) -> str | HttpResponse:
        story = stories.story_draft(
            actor=self.request.user, cluster=self.cluster, **form.cleaned_data
        )
        return HttpResponseRedirect(reverse("packages:story.detail", args=[story.pk]))


class StoryObjectMixin(StoryMixin):
    def get_permission_object(self) -> Any:
        return self.story


class StoryEditView(StoryObjectMixin, TemplateView):
    permission = "packages.draft_story"
    template_name = "packages/stories/edit.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        story = self.story
        if story.status != StoryStatus.DRAFT:
            raise Http404
        context = super().get_context_data(**kwargs)
        context["story"] = story
        context.setdefault(
            "form",
            StoryForm(
                cluster=story.cluster,
                with_source=False,
                initial={"title": story.title, "body": story.body, "indicator": story.indicator},
            ),
        )
        return context


class StoryWriteView(StoryObjectMixin, ServiceFormView):
    page: type[TemplateView] = StoryDetailView

    def success_url(self) -> str:
        return reverse("packages:story.detail", args=[self.story.pk])


class StoryUpdateView(StoryWriteView):
    permission = "packages.draft_story"
    page = StoryEditView

    def get_form(self) -> forms.Form:
        return StoryForm(**self.get_form_kwargs(), cluster=self.story.cluster, with_source=False)

    def perform(self, form: forms.Form) -> str:
        stories.story_update(actor=self.request.user, story=self.story, **form.cleaned_data)
        return _("The story is saved, its chart drawn from the data as it is now.")


class StorySubmitView(StoryWriteView):
    permission = "packages.draft_story"

    def perform(self, form: forms.Form) -> str:
        stories.story_submit(actor=self.request.user, story=self.story)
        return _("The story is sent to the secretariat for review.")


class StoryReviewView(StoryWriteView):
    permission = "packages.review_stories"

    def perform(self, form: forms.Form) -> str:
        stories.story_review(actor=self.request.user, story=self.story)
        return _("The story is reviewed; the coordinator approves its publication.")


class StoryReturnView(StoryWriteView):
    permission = "packages.review_stories"
    form_class = StoryReturnForm
    form_name = "return_form"

    def perform(self, form: forms.Form) -> str:
        stories.story_return(
            actor=self.request.user, story=self.story, note=form.cleaned_data["note"]
        )
        return _("The story is sent back to the cluster with your note.")


class StoryApproveView(StoryWriteView):
    permission = "packages.approve_story"

    def perform(self, form: forms.Form) -> str:
        from klynge.core.formatting import format_date

        story = stories.story_approve(actor=self.request.user, story=self.story)
        assert story.public_from is not None
        return _(
            "The story is approved. The cluster's doctors are told now; the public can read "
            "it from %(day)s."
        ) % {"day": format_date(story.public_from)}
