"""Anonymous evaluations of a held meeting, and the cluster's announcements."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, ServiceFormView
from klynge.meetings import selectors, services
from klynge.meetings.forms import AnnouncementForm, EvaluationForm
from klynge.meetings.models import Announcement
from klynge.meetings.views.base import MeetingMixin, MeetingWriteView


class EvaluationView(MeetingMixin, TemplateView):
    permission = "meetings.view_meetings"
    template_name = "meetings/evaluation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "form": EvaluationForm(),
            "can_answer": self.can("meetings.answer"),
            "answered": selectors.has_evaluated(self.meeting, self.request.user),
            "summary": selectors.evaluation_summary([self.meeting]),
            "held": bool(self.meeting.starts and self.meeting.starts <= timezone.now()),
            **super().get_context_data(**kwargs),
        }


class EvaluationSubmitView(MeetingWriteView):
    permission = "meetings.answer"
    page = EvaluationView
    form_class = EvaluationForm
    back = "evaluation"

    def perform(self, form: forms.Form) -> str:
        services.evaluation_submit(
            user=self.request.user, meeting=self.meeting, **form.cleaned_data
        )
        return _("Thank you. Your answer is anonymous.")


class AnnouncementsView(ClusterMixin, TemplateView):
    permission = "meetings.view_meetings"
    template_name = "meetings/announcements.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "form": AnnouncementForm(),
            "announcements": Announcement.objects.filter(cluster=self.cluster).select_related(
                "created_by"
            ),
            "can_announce": has_perm(self.request.user, "meetings.announce", self.cluster),
            **super().get_context_data(**kwargs),
        }


class AnnouncementSendView(ClusterMixin, ServiceFormView):
    permission = "meetings.announce"
    page = AnnouncementsView
    form_class = AnnouncementForm

    def perform(self, form: forms.Form) -> str:
        services.announcement_send(
            actor=self.request.user, cluster=self.cluster, **form.cleaned_data
        )
        return _("The announcement is sent to the members and shown here.")

    def success_url(self) -> str:
        return reverse("meetings:announcements", args=[self.cluster.slug])
