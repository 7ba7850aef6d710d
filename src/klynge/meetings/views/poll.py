"""The date poll: editors offer dates, send the poll (one e-mail per member with every
date), remind those who have not answered, and settle on one date; members answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from klynge.core.formatting import format_datetime
from klynge.meetings import selectors, services
from klynge.meetings.forms import SlotForm
from klynge.meetings.views.base import MeetingWriteView
from klynge.meetings.views.meetings import MeetingDetailView


class PollAnswerForm(forms.Form):
    """One free field per offered date (`slot-<id>`); the service checks the answers,
    so an unknown answer comes back with its message."""

    def __init__(self, *args: Any, slot_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for pk in slot_ids:
            self.fields[f"slot-{pk}"] = forms.CharField(required=False)

    def answers(self) -> dict[int, str]:
        return {
            int(name.removeprefix("slot-")): value
            for name, value in self.cleaned_data.items()
            if value
        }


class PollAnswerView(MeetingWriteView):
    permission = "meetings.answer"
    page = MeetingDetailView

    def get_form(self) -> forms.Form:
        return PollAnswerForm(
            self.request.POST, slot_ids=list(self.meeting.slots.values_list("pk", flat=True))
        )

    def perform(self, form: forms.Form) -> str:
        assert isinstance(form, PollAnswerForm)
        doctor = self.my_doctor()
        if doctor is None:
            raise Http404
        services.poll_answer(doctor=doctor, meeting=self.meeting, answers=form.answers())
        return _("Thank you; your answer is saved.")


class PollSlotAddView(MeetingWriteView):
    """Offer a date. Nothing is mailed yet: the coordinator sends the poll with all
    its dates in one e-mail (`PollSendView`). A date on the same day as, or over,
    another meeting of the cluster is offered with a warning."""

    page = MeetingDetailView
    form_class = SlotForm
    form_name = "slot_form"

    def perform(self, form: forms.Form) -> str:
        starts, ends = form.cleaned_data["starts"], form.cleaned_data["ends"]
        services.poll_open(
            actor=self.request.user, meeting=self.meeting, slots=[(starts, ends)], notify=False
        )
        for collision in selectors.date_collisions(
            cluster=self.meeting.own_cluster, starts=starts, ends=ends, exclude=self.meeting
        ):
            messages.warning(self.request, collision_text(collision))
        return _("The date is offered. Send the poll when all the dates are there.")


def collision_text(collision: selectors.Collision) -> str:
    other = collision.meeting
    assert other.starts is not None
    values = {"title": other.title, "when": format_datetime(other.starts)}
    if collision.overlaps:
        return _("Note: the date overlaps %(title)s (%(when)s).") % values
    return _("Note: %(title)s is on the same day (%(when)s).") % values


class PollSendView(MeetingWriteView):
    page = MeetingDetailView

    def perform(self, form: forms.Form) -> str:
        sent = services.poll_send(actor=self.request.user, meeting=self.meeting)
        return ngettext(
            "The date poll is on its way to %(n)s member: one e-mail with every date.",
            "The date poll is on its way to %(n)s members: one e-mail each with every date.",
            len(sent),
        ) % {"n": len(sent)}


class PollRemindView(MeetingWriteView):
    """Send a reminder to those who have not answered the poll (at most once a day
    each)."""

    page = MeetingDetailView

    def perform(self, form: forms.Form) -> str:
        sent = services.poll_remind(actor=self.request.user, meeting=self.meeting)
        return ngettext(
            "A reminder is on its way to %(n)s member who has not answered.",
            "A reminder is on its way to each of the %(n)s members who have not answered.",
            len(sent),
        ) % {"n": len(sent)}


class PollCloseView(MeetingWriteView):
    page = MeetingDetailView

    def perform(self, form: forms.Form) -> str:
        slot = self.part(self.meeting.slots, "slot")
        services.poll_close(actor=self.request.user, meeting=self.meeting, slot=slot)
        return _("The date is set and the invitations are on their way.")
