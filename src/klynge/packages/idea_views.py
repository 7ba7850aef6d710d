"""Idea bank pages and writes (KNOW-2). Each write is one view class with one URL."""

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
from klynge.packages import ideas, stories
from klynge.packages.forms import IdeaForm, RejectForm
from klynge.packages.models import Idea, IdeaStatus
from klynge.registry.selectors import user_clusters


class IdeaListView(PermissionMixin, TemplateView):
    permission = "packages.view_ideas"
    template_name = "packages/ideas/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        query = self.request.GET.get("q", "").strip()[:100]
        theme = self.request.GET.get("tema", "").strip()[:100]
        user = self.request.user
        return {
            **super().get_context_data(**kwargs),
            "ideas": ideas.published_ideas(query=query, theme=theme),
            "themes": ideas.idea_themes(),
            "query": query,
            "theme": theme,
            "can_submit": has_perm(user, "packages.submit_idea"),
            "can_moderate": has_perm(user, "packages.moderate_ideas"),
        }


class IdeaMixin(PermissionMixin):
    kwargs: dict[str, Any]

    @cached_property
    def idea(self) -> Idea:
        idea = ideas.visible_idea(self.request.user, self.kwargs["pk"])
        if idea is None:
            raise Http404
        return idea


class IdeaDetailView(IdeaMixin, TemplateView):
    permission = "packages.view_ideas"
    template_name = "packages/ideas/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        user = self.request.user
        idea = self.idea
        clusters = (
            [c for c in user_clusters(user=user) if has_perm(user, "packages.adopt", c)]
            if user.is_authenticated and idea.status == IdeaStatus.PUBLISHED
            else []
        )
        adopted = set(idea.adoptions.values_list("cluster_id", flat=True))
        context.update(
            idea=idea,
            adopt_clusters=[c for c in clusters if c.pk not in adopted],
            adopted_count=len(adopted),
            can_moderate=has_perm(user, "packages.moderate_ideas")
            and idea.status == IdeaStatus.SUBMITTED,
            stories=stories.stories_from(idea=idea, on=today()),
        )
        context.setdefault("reject_form", RejectForm())
        return context


class IdeaSubmitPageView(PermissionMixin, TemplateView):
    permission = "packages.submit_idea"
    template_name = "packages/ideas/submit.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.setdefault("form", IdeaForm())
        return context


class IdeaSubmitView(ServiceFormView):
    permission = "packages.submit_idea"
    form_class = IdeaForm
    page = IdeaSubmitPageView

    def perform(self, form: forms.Form) -> str | HttpResponse:
        assert isinstance(form, IdeaForm)
        idea = ideas.idea_submit(actor=self.request.user, **form.service_fields())
        from django.contrib import messages

        messages.success(
            self.request, _("Thank you. The secretariat reads the idea before it is published.")
        )
        return HttpResponseRedirect(reverse("packages:idea.detail", args=[idea.pk]))


class ModerationView(PermissionMixin, TemplateView):
    permission = "packages.moderate_ideas"
    template_name = "packages/ideas/moderation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "ideas": ideas.waiting_ideas()}


class IdeaWriteView(IdeaMixin, ServiceFormView):
    permission = "packages.moderate_ideas"
    page = IdeaDetailView

    def success_url(self) -> str:
        return reverse("packages:idea.moderation")


class IdeaPublishView(IdeaWriteView):
    def perform(self, form: forms.Form) -> str:
        ideas.idea_publish(actor=self.request.user, idea=self.idea)
        return _("The idea is published.")


class IdeaRejectView(IdeaWriteView):
    form_class = RejectForm
    form_name = "reject_form"

    def perform(self, form: forms.Form) -> str:
        ideas.idea_reject(
            actor=self.request.user, idea=self.idea, reason=form.cleaned_data["reason"]
        )
        return _("The idea is not published; the reason is kept with it.")


class IdeaAdoptView(ClusterMixin, ServiceFormView):
    """A cluster takes up a published idea as its project."""

    permission = "packages.adopt"

    @cached_property
    def idea(self) -> Idea:
        idea = Idea.objects.filter(pk=self.kwargs["pk"], status=IdeaStatus.PUBLISHED).first()
        if idea is None:
            raise Http404
        return idea

    def success_url(self) -> str:
        return reverse("quality:cluster.dashboard", args=[self.cluster.slug])

    def perform(self, form: forms.Form) -> str:
        adoption = ideas.idea_adopt(actor=self.request.user, idea=self.idea, cluster=self.cluster)
        if adoption.goal is not None:
            return _("The idea is the cluster's project now, with its goal.")
        return _("The idea is the cluster's project now.")
