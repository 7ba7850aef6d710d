"""What every meeting page and write shares: the meeting from the URL, within the URL's
cluster (another cluster's meeting answers 404), and the write base class.

Each write is its own `MeetingWriteView` subclass with its own URL and declared
permission (`core.views.ServiceFormView`); objects a write refers to (an agenda item, a
decision, a guest ...) come from the URL and are looked up within the URL's meeting."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db.models import Manager, QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import reverse

from klynge.core.dates import today
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, ServiceFormView
from klynge.meetings import selectors
from klynge.meetings.models import Meeting
from klynge.registry.models import Doctor


def year_of(request: HttpRequest) -> int:
    raw = request.GET.get("aar", "")
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else today().year


class MeetingMixin(ClusterMixin):
    """The meeting from the URL, within the URL's cluster; permissions ask the meeting."""

    @cached_property
    def meeting(self) -> Meeting:
        return get_object_or_404(
            Meeting.objects.select_related("cluster__municipality", "host__user"),
            pk=self.kwargs["pk"],
            cluster=self.cluster,
        )

    def get_permission_object(self) -> Any:
        return self.meeting

    def can(self, permission: str) -> bool:
        return has_perm(self.request.user, permission, self.meeting)

    def meeting_url(self, name: str = "detail") -> str:
        return reverse(f"meetings:{name}", args=[self.cluster.slug, self.meeting.pk])

    def my_doctor(self) -> Doctor | None:
        user = self.request.user
        return Doctor.objects.filter(user=user).first() if user.is_authenticated else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context.update(
            meeting=self.meeting,
            can_manage=self.can("meetings.manage_meeting"),
            can_approve=self.can("meetings.approve_minutes"),
            locked=selectors.minutes_locked(self.meeting),
        )
        return context


class MeetingWriteView(MeetingMixin, ServiceFormView):
    """One write on a meeting. Subclasses set `permission`, `page`, `form_class`,
    `form_name`, `back` (the page name to return to) and implement `perform(form)`."""

    permission = "meetings.manage_meeting"
    back = "detail"

    def success_url(self) -> str:
        return self.meeting_url(self.back)

    def part(self, queryset: QuerySet | Manager, kwarg: str) -> Any:
        """The object named by the URL's `kwarg`, within this meeting's `queryset`
        (a related manager of the meeting), or 404."""
        return get_object_or_404(queryset, pk=self.kwargs[kwarg])
