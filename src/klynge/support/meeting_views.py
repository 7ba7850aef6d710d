"""Meetings of a coordinator network (★): the meetings features a cluster has — the plan,
the agenda, invitations with an `.ics` through the worker, "I am coming", attendance and
minutes approved as PDF — for a meeting that belongs to a region's network.

The meeting is a `meetings.Meeting` with `network` set; every write here calls the same
meetings service a cluster's page calls, and the same permission: a network meeting
carries its network's roles (`support.networks.network_roles`: the region's unit and the
secretariat organise, the network's members take part). The pages live under the
network's address, so a member of another region's network gets 404 before anything
is read, as on the network's page."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView, View

from klynge.core.permissions import has_perm
from klynge.core.views import PermissionMixin, ServiceFormView
from klynge.meetings import selectors as meeting_selectors
from klynge.meetings import services as meeting_services
from klynge.meetings.forms import ActionForm, ItemForm, RsvpForm
from klynge.meetings.models import Attendance, Dispatch, Meeting, MinutesVersion
from klynge.meetings.views.attendance import AttendanceForm
from klynge.meetings.views.minutes import NotesForm, approved_minutes_pdf
from klynge.registry.models import Doctor
from klynge.support.forms import NetworkDecisionForm, NetworkMeetingForm, NewNetworkMeetingForm
from klynge.support.views import NetworkMixin, NetworkView


class NetworkMeetingPlanView(NetworkMixin, ServiceFormView):
    """Plan a network meeting (the region's unit or the secretariat); with a date and
    asked for, the network's members are invited at once."""

    permission = "meetings.plan_meeting"
    page = NetworkView
    form_class = NewNetworkMeetingForm
    form_name = "meeting_form"

    def get_permission_object(self) -> Any:
        # Anonymous visitors are sent to log in before any network is looked up.
        return self.region if self.request.user.is_authenticated else None

    def perform(self, form: forms.Form) -> HttpResponseRedirect:
        assert isinstance(form, NewNetworkMeetingForm)
        meeting = meeting_services.network_meeting_create(
            actor=self.request.user,
            network=self.region,
            template=form.cleaned_data["template"],
            **form.planning_fields(),
        )
        messages.success(self.request, _("The meeting is planned."))
        return HttpResponseRedirect(
            reverse("support:network.meeting", args=[self.region.pk, meeting.pk])
        )


class NetworkMeetingMixin(NetworkMixin, PermissionMixin):
    """The meeting from the URL, within the URL's network (another network's meeting,
    or a cluster's, answers 404); permissions ask the meeting."""

    @cached_property
    def meeting(self) -> Meeting:
        return get_object_or_404(
            Meeting.objects.select_related("network", "created_by"),
            pk=self.kwargs["meeting"],
            network=self.region,
        )

    def get_permission_object(self) -> Any:
        # Anonymous visitors are sent to log in before any network is looked up.
        return self.meeting if self.request.user.is_authenticated else None

    def can(self, permission: str) -> bool:
        return has_perm(self.request.user, permission, self.meeting)

    def my_doctor(self) -> Doctor | None:
        user = self.request.user
        return Doctor.objects.filter(user=user).first() if user.is_authenticated else None

    def meeting_url(self) -> str:
        return reverse("support:network.meeting", args=[self.region.pk, self.meeting.pk])


class NetworkMeetingView(NetworkMeetingMixin, TemplateView):
    """One network meeting: the plan, the invitations, the agenda, who is coming,
    attendance and the minutes, on one page."""

    permission = "meetings.view_meetings"
    template_name = "support/network_meeting.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        meeting = self.meeting
        can_manage = self.can("meetings.manage_meeting")
        doctors = meeting_selectors.invited_doctors(meeting)
        doctor = self.my_doctor()
        held = bool(meeting.starts and meeting.starts <= timezone.now())
        rsvp = meeting_selectors.rsvp_summary(meeting) if meeting.starts else None
        invited = rsvp is not None and doctor is not None and rsvp.includes(doctor)
        dispatches = list(meeting.dispatches.all()) if can_manage else []
        invitations = [
            d
            for d in dispatches
            if d.kind in (Dispatch.Kind.INVITATION, Dispatch.Kind.UPDATE)
            and d.sequence == meeting.sequence
        ]
        local = timezone.localtime(meeting.starts) if meeting.starts else None
        plan = NetworkMeetingForm(
            initial={
                "title": meeting.title,
                "day": local.date() if local else None,
                "start_time": local.time() if local else None,
                "end_time": timezone.localtime(meeting.ends).time() if meeting.ends else None,
                "place": meeting.place,
                "video_url": meeting.video_url,
            }
        )
        items = list(meeting.items.select_related("owner").prefetch_related("decisions", "actions"))
        return {
            **super().get_context_data(**kwargs),
            "region": self.region,
            "meeting": meeting,
            "organiser": meeting.organiser_name,
            "can_manage": can_manage,
            "can_approve": self.can("meetings.approve_minutes"),
            "locked": meeting_selectors.minutes_locked(meeting),
            "held": held,
            "doctors": doctors,
            "items": items,
            "carried": meeting_selectors.open_actions(meeting=meeting),
            "rsvp": rsvp,
            "my_rsvp": rsvp.of(doctor) if rsvp is not None else None,
            "can_rsvp": invited
            and not held
            and not meeting.is_cancelled
            and self.can("meetings.answer"),
            "failed": [d for d in dispatches if d.status == Dispatch.Status.FAILED],
            "sent": sum(d.status == Dispatch.Status.SENT for d in invitations),
            "queued": sum(d.status == Dispatch.Status.QUEUED for d in invitations),
            "attendance": meeting_selectors.attendance_list(meeting) if can_manage else [],
            "statuses": Attendance.Status.choices,
            "present": meeting.attendance.filter(status=Attendance.Status.PRESENT).count(),
            "draft": meeting_selectors.current_minutes(meeting),
            "versions": list(meeting.minutes.filter(status=MinutesVersion.Status.APPROVED)),
            "plan_form": plan,
            "item_form": ItemForm(doctors=doctors),
            # A refused write under an item (its pk from the write's URL) shows its bound
            # form there; the other items keep blank forms.
            "decision_form": NetworkDecisionForm(),
            "action_form": ActionForm(doctors=doctors),
            "blank_decision_form": NetworkDecisionForm(),
            "blank_action_form": ActionForm(doctors=doctors),
            "rsvp_form": RsvpForm(),
            "open_item": kwargs.get("item"),
        }


class NetworkMeetingWriteView(NetworkMeetingMixin, ServiceFormView):
    """One write on a network meeting; back to its page."""

    permission = "meetings.manage_meeting"
    page = NetworkMeetingView

    def success_url(self) -> str:
        return self.meeting_url()

    def item(self) -> Any:
        return get_object_or_404(self.meeting.items, pk=self.kwargs["item"])


class NetworkMeetingUpdateView(NetworkMeetingWriteView):
    """Change the plan; once invited, a change of time or place goes out as an update."""

    form_class = NetworkMeetingForm
    form_name = "plan_form"

    def perform(self, form: forms.Form) -> str:
        assert isinstance(form, NetworkMeetingForm)
        meeting_services.meeting_update(
            actor=self.request.user, meeting=self.meeting, **form.planning_fields()
        )
        return _("The meeting is saved.")


class NetworkMeetingInviteView(NetworkMeetingWriteView):
    def perform(self, form: forms.Form) -> str:
        sent = meeting_services.meeting_invite(actor=self.request.user, meeting=self.meeting)
        return ngettext(
            "%(n)s invitation is on its way.", "%(n)s invitations are on their way.", len(sent)
        ) % {"n": len(sent)}


class NetworkMeetingCancelView(NetworkMeetingWriteView):
    def perform(self, form: forms.Form) -> str:
        meeting_services.meeting_cancel(actor=self.request.user, meeting=self.meeting)
        return _("The meeting is cancelled.")


class NetworkDispatchRetryView(NetworkMeetingWriteView):
    def perform(self, form: forms.Form) -> str:
        dispatch = get_object_or_404(self.meeting.dispatches, pk=self.kwargs["dispatch"])
        meeting_services.dispatch_retry(actor=self.request.user, dispatch=dispatch)
        return _("The e-mail is queued again.")


class NetworkRsvpView(NetworkMeetingWriteView):
    """A member's own "I am coming / I am not coming"."""

    permission = "meetings.answer"
    form_class = RsvpForm
    form_name = "rsvp_form"

    def perform(self, form: forms.Form) -> str:
        doctor = self.my_doctor()
        if doctor is None:
            raise Http404
        coming = form.cleaned_data["coming"]
        meeting_services.rsvp_give(doctor=doctor, meeting=self.meeting, coming=coming)
        if coming:
            return _("Thank you; the organisers can see that you are coming.")
        return _("Thank you; the organisers can see that you are not coming.")


class NetworkItemAddView(NetworkMeetingWriteView):
    form_name = "item_form"

    def get_form(self) -> forms.Form:
        doctors = meeting_selectors.invited_doctors(self.meeting)
        return ItemForm(self.request.POST, doctors=doctors)

    def perform(self, form: forms.Form) -> str:
        meeting_services.item_save(
            actor=self.request.user, meeting=self.meeting, **form.cleaned_data
        )
        return _("The item is added.")


class NetworkItemDeleteView(NetworkMeetingWriteView):
    def perform(self, form: forms.Form) -> str:
        meeting_services.item_delete(actor=self.request.user, item=self.item())
        return _("The item is removed.")


class NetworkAttendanceView(NetworkMeetingWriteView):
    """Who came: one status (and, if excused, a reason) per invited member."""

    form_name = "attendance_form"

    def get_form(self) -> forms.Form:
        ids = [d.pk for d in meeting_selectors.invited_doctors(self.meeting)]
        return AttendanceForm(self.request.POST, doctor_ids=ids)

    def perform(self, form: forms.Form) -> str:
        data = form.cleaned_data
        rest = Attendance.Status.PRESENT if data["rest"] == "present" else ""
        marks = {}
        for pk in form.doctor_ids:  # type: ignore[attr-defined]
            status = data.get(f"status-{pk}", "") or rest
            if status:
                marks[pk] = (status, data.get(f"reason-{pk}", "").strip())
        meeting_services.attendance_record(
            actor=self.request.user, meeting=self.meeting, marks=marks
        )
        return _("The attendance is saved.")


class NetworkNotesView(NetworkMeetingWriteView):
    form_class = NotesForm
    form_name = "notes_form"

    def perform(self, form: forms.Form) -> str:
        meeting_services.item_notes_save(
            actor=self.request.user, item=self.item(), notes=form.cleaned_data["notes"]
        )
        return _("The minutes are saved.")


class NetworkDecisionAddView(NetworkMeetingWriteView):
    form_class = NetworkDecisionForm
    form_name = "decision_form"

    def perform(self, form: forms.Form) -> str:
        meeting_services.decision_add(
            actor=self.request.user,
            meeting=self.meeting,
            item=self.item(),
            text=form.cleaned_data["text"],
        )
        return _("The decision is recorded.")


class NetworkActionAddView(NetworkMeetingWriteView):
    form_name = "action_form"

    def get_form(self) -> forms.Form:
        doctors = meeting_selectors.invited_doctors(self.meeting)
        return ActionForm(self.request.POST, doctors=doctors)

    def perform(self, form: forms.Form) -> str:
        meeting_services.action_add(
            actor=self.request.user, meeting=self.meeting, item=self.item(), **form.cleaned_data
        )
        return _("The action is recorded.")


class NetworkMinutesApproveView(NetworkMeetingWriteView):
    """Approve version `number` (the one the approver read): locked and kept as PDF."""

    permission = "meetings.approve_minutes"

    def perform(self, form: forms.Form) -> str:
        try:
            version = meeting_services.minutes_approve(
                actor=self.request.user, meeting=self.meeting, number=self.kwargs["number"]
            )
        except meeting_services.MinutesAlreadyApproved as done:
            messages.info(self.request, done.message)
            return ""
        return _("Version %(n)s of the minutes is approved, locked and kept as PDF.") % {
            "n": version.number
        }


class NetworkMinutesPdfView(NetworkMeetingMixin, View):
    permission = "meetings.view_meetings"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return approved_minutes_pdf(self.meeting, kwargs["number"])
