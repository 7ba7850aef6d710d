"""'Jeg kommer / jeg kommer ikke': an invited doctor says whether they will come."""

from __future__ import annotations

from django import forms
from django.http import Http404
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from klynge.meetings import services
from klynge.meetings.forms import RsvpForm
from klynge.meetings.views.base import MeetingWriteView
from klynge.meetings.views.meetings import MeetingDetailView


class RsvpGiveView(MeetingWriteView):
    """The doctor's own answer; posted from the meeting page or from the start page
    (which sends `next` to come back to)."""

    permission = "meetings.answer"
    page = MeetingDetailView
    form_class = RsvpForm
    form_name = "rsvp_form"

    def success_url(self) -> str:
        target = self.request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}
        ):
            return target
        return self.meeting_url()

    def perform(self, form: forms.Form) -> str:
        doctor = self.my_doctor()
        if doctor is None:
            raise Http404
        coming = form.cleaned_data["coming"]
        services.rsvp_give(doctor=doctor, meeting=self.meeting, coming=coming)
        if coming:
            return _("Thank you; the coordinator can see that you are coming.")
        return _("Thank you; the coordinator can see that you are not coming.")
