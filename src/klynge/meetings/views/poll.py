"""The date poll: editors offer dates and settle on one; members answer."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404
from django.utils.translation import gettext as _

from klynge.meetings import services
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
    page = MeetingDetailView
    form_class = SlotForm
    form_name = "slot_form"

    def perform(self, form: forms.Form) -> str:
        services.poll_open(
            actor=self.request.user,
            meeting=self.meeting,
            slots=[(form.cleaned_data["starts"], form.cleaned_data["ends"])],
        )
        return _("The date is offered; the members are asked by e-mail.")


class PollCloseView(MeetingWriteView):
    page = MeetingDetailView

    def perform(self, form: forms.Form) -> str:
        slot = self.part(self.meeting.slots, "slot")
        services.poll_close(actor=self.request.user, meeting=self.meeting, slot=slot)
        return _("The date is set and the invitations are on their way.")
