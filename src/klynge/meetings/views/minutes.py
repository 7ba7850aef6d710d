"""Minutes: notes per agenda item, decisions and follow-up actions, elections at a
general assembly, approval (which locks them and files the PDF) and corrections.

Each item's notes are their own write (`minutes.notes`, one URL per item): with htmx the
form saves in place, so what is being typed under the other items stays on the page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.meetings import documents, selectors, services
from klynge.meetings.forms import ActionForm, DecisionForm
from klynge.meetings.models import Action, MinutesVersion
from klynge.meetings.views.base import MeetingMixin, MeetingWriteView
from klynge.registry.models import RoleKind


class MinutesView(MeetingMixin, TemplateView):
    """Minutes per agenda item with decisions and actions; approval locks them.

    A refused write under an item re-renders this page with `item` (from the write's
    URL) set: that item's forms show the input and the errors, opened; the other items
    keep blank forms."""

    permission = "meetings.view_meetings"
    template_name = "meetings/minutes.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        doctors = selectors.invited_doctors(self.meeting)
        context = {
            "decision_form": DecisionForm(),
            "action_form": ActionForm(doctors=doctors),
            "blank_decision_form": DecisionForm(),
            "blank_action_form": ActionForm(doctors=doctors),
            "notes_form": None,
            **super().get_context_data(**kwargs),
            **documents.minutes_context(self.meeting),
            "open_item": kwargs.get("item"),
            "versions": list(self.meeting.minutes.all()),
            "draft": selectors.current_minutes(self.meeting),
            "held": bool(self.meeting.starts and self.meeting.starts <= timezone.now()),
            "action_statuses": Action.Status.choices,
        }
        if self.meeting.is_general_assembly:
            context["roles"] = RoleKind.choices
            context["doctors"] = doctors
        return context


class MinutesWriteView(MeetingWriteView):
    page = MinutesView
    back = "minutes"

    def item(self) -> Any:
        return self.part(self.meeting.items, "item")


class NotesForm(forms.Form):
    notes = forms.CharField(required=False, strip=False)


class NotesSaveView(MinutesWriteView):
    """One item's notes. From htmx the answer is the item's notes form again (saved, or
    with the refusal) and the rest of the page is left alone."""

    form_class = NotesForm
    form_name = "notes_form"

    def htmx(self) -> bool:
        return bool(self.request.headers.get("HX-Request"))

    def fragment(self, form: forms.Form, *, saved: bool) -> HttpResponse:
        item = self.item()
        errors = [str(e) for errors in form.errors.values() for e in errors]
        return render(
            self.request,
            "meetings/_item_notes.html",
            {
                "cluster": self.cluster,
                "meeting": self.meeting,
                "item": item,
                "notes": form.data.get("notes", item.notes) if errors else item.notes,
                "saved": saved,
                "errors": errors,
            },
        )

    def perform(self, form: forms.Form) -> str | HttpResponse:
        item = self.item()
        services.item_notes_save(
            actor=self.request.user, item=item, notes=form.cleaned_data["notes"]
        )
        if self.htmx():
            return self.fragment(form, saved=True)
        return _("The minutes are saved.")

    def success_url(self) -> str:
        return f"{super().success_url()}#item-{self.kwargs['item']}"

    def form_invalid(self, form: forms.Form) -> HttpResponse:
        if self.htmx():
            # htmx swaps only successful answers: the refusal travels as a 200 fragment
            # with the message in it (a full request still gets the 400 page).
            return self.fragment(form, saved=False)
        return super().form_invalid(form)


class DecisionAddView(MinutesWriteView):
    form_class = DecisionForm
    form_name = "decision_form"

    def perform(self, form: forms.Form) -> str:
        services.decision_add(
            actor=self.request.user, meeting=self.meeting, item=self.item(), **form.cleaned_data
        )
        return _("The decision is recorded.")


class DecisionDeleteView(MinutesWriteView):
    def perform(self, form: forms.Form) -> str:
        decision = self.part(self.meeting.decisions, "decision")
        services.decision_delete(actor=self.request.user, decision=decision)
        return _("The decision is removed.")


class ActionAddView(MinutesWriteView):
    """An action under an item. A due date that cannot be read is a form error on that
    item's form (status 400, nothing written), never dropped."""

    form_name = "action_form"

    def get_form(self) -> forms.Form:
        return ActionForm(self.request.POST, doctors=selectors.invited_doctors(self.meeting))

    def perform(self, form: forms.Form) -> str:
        services.action_add(
            actor=self.request.user, meeting=self.meeting, item=self.item(), **form.cleaned_data
        )
        return _("The action is recorded.")


class ActionDeleteView(MinutesWriteView):
    def perform(self, form: forms.Form) -> str:
        action = self.part(self.meeting.actions, "action")
        services.action_delete(actor=self.request.user, action=action)
        return _("The action is removed.")


class ActionStatusForm(forms.Form):
    status = forms.CharField(required=False)


class ActionStatusView(MeetingWriteView):
    """Follow-up on an action, from any meeting page of the cluster it appears on
    (actions carry over to later agendas); back to that page, or the meeting's."""

    form_class = ActionStatusForm
    page = None

    def perform(self, form: forms.Form) -> str:
        action = get_object_or_404(Action, pk=self.kwargs["action"], meeting__cluster=self.cluster)
        services.action_set_status(
            actor=self.request.user, action=action, status=form.cleaned_data["status"]
        )
        return ""

    def success_url(self) -> str:
        target = self.request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return self.meeting_url()


class MinutesApproveView(MinutesWriteView):
    """Approve version `number` of the minutes: the version the approver read, from the
    URL. A second click (or a second approver) finds it approved and changes nothing."""

    permission = "meetings.approve_minutes"

    def perform(self, form: forms.Form) -> str:
        try:
            version = services.minutes_approve(
                actor=self.request.user, meeting=self.meeting, number=self.kwargs["number"]
            )
        except services.MinutesAlreadyApproved as done:
            messages.info(self.request, done.message)
            return ""
        return _("Version %(n)s of the minutes is approved, locked and filed as PDF.") % {
            "n": version.number
        }


class CorrectionForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300)


class MinutesCorrectView(MinutesWriteView):
    permission = "meetings.approve_minutes"
    form_class = CorrectionForm
    form_name = "correction_form"

    def perform(self, form: forms.Form) -> str:
        services.minutes_correct(
            actor=self.request.user, meeting=self.meeting, reason=form.cleaned_data["reason"]
        )
        return _("A correction is open as a new draft version.")


def approved_minutes_pdf(meeting: Any, number: int) -> FileResponse:
    """The stored PDF of approved version `number` of a meeting's minutes (404 if it is
    not approved): a cluster's or a network's meeting."""
    version = get_object_or_404(
        MinutesVersion, meeting=meeting, number=number, status=MinutesVersion.Status.APPROVED
    )
    return FileResponse(
        version.pdf.open("rb"),
        as_attachment=True,
        filename=version.pdf.name.rsplit("/", 1)[-1],
        content_type="application/pdf",
    )


class MinutesPdfView(MeetingMixin, View):
    permission = "meetings.view_meetings"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return approved_minutes_pdf(self.meeting, kwargs["number"])
