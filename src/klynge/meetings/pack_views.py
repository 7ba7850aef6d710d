"""The meeting pack as a PDF download and as a full-screen presentation (MEET-7). Both
are for whoever may read the cluster's meetings; the charts in them are anonymised
whatever the reader's own clinic (`klynge.meetings.pack`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.generic import TemplateView, View

from klynge.core.downloads import file_response
from klynge.meetings import pack, selectors
from klynge.meetings.views.base import MeetingMixin


class MeetingPackView(MeetingMixin, View):
    permission = "meetings.view_meetings"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        day = selectors.meeting_date(self.meeting)
        name = f"moedepakke-{self.cluster.slug}-{day.isoformat()}.pdf"
        return file_response(pack.pack_pdf(self.meeting), name)


class PresentationView(MeetingMixin, TemplateView):
    """One slide per section, navigated with the keyboard, taps or swipes
    (`meetings/static/meetings/presentation.js`)."""

    permission = "meetings.view_meetings"
    template_name = "meetings/pack/presentation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(pack.pack_context(self.meeting, layout="screen"))
        return context
