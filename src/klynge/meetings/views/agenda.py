"""The agenda: items from a template or by hand, their order, their attachments."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from klynge.meetings import selectors, services
from klynge.meetings.agendas import TEMPLATES
from klynge.meetings.forms import ItemEditForm, ItemForm
from klynge.meetings.models import AgendaAttachment, AgendaItem
from klynge.meetings.views.base import MeetingMixin, MeetingWriteView
from klynge.registry.models import Doctor


class AgendaView(MeetingMixin, TemplateView):
    permission = "meetings.manage_meeting"
    template_name = "meetings/agenda.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        doctors = selectors.invited_doctors(self.meeting)
        items = list(self.meeting.items.select_related("owner").prefetch_related("attachments"))
        return {
            "item_form": ItemForm(doctors=doctors),
            "items": items,
            # Each item with its edit form, filled in with what it says now.
            "edits": [(item, edit_form(item, doctors)) for item in items],
            "templates": [(k, label) for k, (label, _items) in TEMPLATES.items()],
            "carried": selectors.open_actions(meeting=self.meeting),
            "doctors": doctors,
            **super().get_context_data(**kwargs),
            "open_item": kwargs.get("item"),  # a refused write under this item
        }


def edit_form(item: AgendaItem, doctors: list[Doctor], data: Any = None) -> ItemEditForm:
    return ItemEditForm(
        data,
        doctors=doctors,
        auto_id=f"id_item{item.pk}_%s",
        initial={
            "title": item.title,
            "description": item.description,
            "owner": item.owner_id,
            "duration": item.duration,
            "follow_up": item.follow_up,
        },
    )


class AgendaWriteView(MeetingWriteView):
    page = AgendaView
    back = "agenda"


class TemplateForm(forms.Form):
    template = forms.CharField(required=False)


class AgendaTemplateView(AgendaWriteView):
    form_class = TemplateForm

    def perform(self, form: forms.Form) -> str:
        services.agenda_apply_template(
            actor=self.request.user, meeting=self.meeting, template=form.cleaned_data["template"]
        )
        return _("The template's items are added.")


class NewItemForm(ItemForm):
    follow_up = forms.BooleanField(required=False)


class ItemAddView(AgendaWriteView):
    form_name = "item_form"

    def get_form(self) -> forms.Form:
        return NewItemForm(self.request.POST, doctors=selectors.invited_doctors(self.meeting))

    def perform(self, form: forms.Form) -> str:
        services.item_save(actor=self.request.user, meeting=self.meeting, **form.cleaned_data)
        return _("The item is added.")


class ItemUpdateView(AgendaWriteView):
    """Change an item after it was made: its own write, its own URL."""

    form_name = "edit_form"

    def get_form(self) -> forms.Form:
        item = self.part(self.meeting.items, "item")
        return edit_form(item, selectors.invited_doctors(self.meeting), self.request.POST)

    def perform(self, form: forms.Form) -> str:
        item = self.part(self.meeting.items, "item")
        services.item_update(actor=self.request.user, item=item, **form.cleaned_data)
        return _("The item is saved.")


class ItemMoveView(AgendaWriteView):
    """Move an item one place up or down (the direction is part of the URL)."""

    def perform(self, form: forms.Form) -> str:
        if self.kwargs["direction"] not in ("up", "down"):
            raise Http404
        item = self.part(self.meeting.items, "item")
        services.item_move(actor=self.request.user, item=item, up=self.kwargs["direction"] == "up")
        return ""


class ItemDeleteView(AgendaWriteView):
    def perform(self, form: forms.Form) -> str:
        services.item_delete(actor=self.request.user, item=self.part(self.meeting.items, "item"))
        return _("The item is removed.")


class AttachmentForm(forms.Form):
    file = forms.FileField(error_messages={"required": gettext_lazy("Choose a file.")})


class AttachmentAddView(AgendaWriteView):
    form_class = AttachmentForm
    form_name = "attachment_form"

    def perform(self, form: forms.Form) -> str:
        item = self.part(self.meeting.items, "item")
        services.attachment_add(
            actor=self.request.user, item=item, upload=form.cleaned_data["file"]
        )
        return _("The file is attached.")


class AttachmentView(MeetingMixin, View):
    permission = "meetings.view_meetings"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        attachment = get_object_or_404(
            AgendaAttachment, pk=kwargs["attachment"], item__meeting=self.meeting
        )
        return FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=attachment.name
        )
