"""A cluster's meetings: the list, planning a new meeting, one meeting's page and its
plan (with external speakers), invitations, cancellation and e-mails sent again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import F
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from klynge.core.dates import today
from klynge.core.forms import DanishDateField
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, ServiceFormView
from klynge.meetings import selectors, services
from klynge.meetings.forms import MeetingForm, NewMeetingForm, RsvpForm, SlotForm, SpeakerForm
from klynge.meetings.models import Action, Announcement, Dispatch, PollAnswer
from klynge.meetings.views.base import MeetingMixin, MeetingWriteView
from klynge.registry.models import Doctor


class MeetingListView(ClusterMixin, TemplateView):
    permission = "meetings.view_meetings"
    template_name = "meetings/list.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        now = timezone.now()
        meetings = list(selectors.cluster_meetings(cluster=self.cluster))
        upcoming = [m for m in meetings if not m.starts or m.starts >= now]
        upcoming.sort(key=lambda m: (m.starts is not None, m.starts or now))
        open_actions = (
            Action.objects.filter(meeting__cluster=self.cluster, status=Action.Status.OPEN)
            .select_related("owner", "meeting")
            .order_by(F("due").asc(nulls_last=True), "id")
        )
        return {
            **super().get_context_data(**kwargs),
            "upcoming": upcoming,
            "past": [m for m in meetings if m.starts and m.starts < now],
            "open_actions": open_actions,
            "announcements": Announcement.objects.filter(cluster=self.cluster)[:3],
            "can_plan": has_perm(self.request.user, "meetings.plan_meeting", self.cluster),
            "can_report": has_perm(
                self.request.user, "meetings.view_activity_report", self.cluster
            ),
        }


# --- Planning a new meeting ---------------------------------------------------------------


class NewMeetingMixin(ClusterMixin):
    permission = "meetings.plan_meeting"

    def new_meeting_form(self, data: Any = None) -> NewMeetingForm:
        doctors = list(
            Doctor.objects.filter(
                participations__in=selectors.Participation.objects.active_on(today()).filter(
                    cluster=self.cluster
                )
            )
        )
        return NewMeetingForm(
            data, cluster=self.cluster, doctors=doctors, initial={"host_model": "coordinator"}
        )


class MeetingCreateView(NewMeetingMixin, TemplateView):
    template_name = "meetings/create.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {"form": self.new_meeting_form(), **super().get_context_data(**kwargs)}


class MeetingPlanView(NewMeetingMixin, ServiceFormView):
    """Plan the meeting and, when its date is set and asked for, invite at once."""

    page = MeetingCreateView

    def get_form(self) -> forms.Form:
        return self.new_meeting_form(self.request.POST)

    def perform(self, form: forms.Form) -> HttpResponse:
        assert isinstance(form, NewMeetingForm)
        data = form.cleaned_data
        invite = data["invite"] and data["starts"] is not None
        with transaction.atomic():  # planned and invited, or neither
            meeting = services.meeting_create(
                actor=self.request.user,
                cluster=self.cluster,
                template=data["template"],
                guest_clusters=data["guest_clusters"],
                indicators=data["indicators"],
                **form.planning_fields(),
            )
            if invite:
                services.meeting_invite(actor=self.request.user, meeting=meeting)
        messages.success(
            self.request,
            _("The meeting is planned and the invitations are on their way.")
            if invite
            else _("The meeting is planned."),
        )
        return HttpResponseRedirect(
            reverse("meetings:detail", args=[self.cluster.slug, meeting.pk])
        )


# --- One meeting ----------------------------------------------------------------------------


class MeetingDetailView(MeetingMixin, TemplateView):
    permission = "meetings.view_meetings"
    template_name = "meetings/detail.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        meeting = self.meeting
        doctor = self.my_doctor()
        context = super().get_context_data(**kwargs)
        dispatches = list(meeting.dispatches.all()) if context["can_manage"] else []
        # The invitation's count: the latest round of invitations or updates (not polls).
        invitations = [
            d
            for d in dispatches
            if d.kind in (Dispatch.Kind.INVITATION, Dispatch.Kind.UPDATE)
            and d.sequence == meeting.sequence
        ]
        held = bool(meeting.starts and meeting.starts <= timezone.now())
        poll = selectors.poll_results(meeting)
        if context["can_manage"] and poll and not meeting.starts:
            collisions = selectors.poll_collisions(meeting)
            for result in poll:
                result.collisions = collisions.get(result.slot_id, [])
        rsvp = selectors.rsvp_summary(meeting) if meeting.starts else None
        invited = rsvp is not None and doctor is not None and rsvp.includes(doctor)
        context.update(
            rsvp=rsvp,
            my_rsvp=rsvp.of(doctor) if rsvp is not None else None,
            can_rsvp=(
                invited and not held and not meeting.is_cancelled and self.can("meetings.answer")
            ),
            rsvp_form=RsvpForm(),
            items=list(meeting.items.select_related("owner").prefetch_related("attachments")),
            carried=selectors.open_actions(meeting=meeting),
            speakers=list(meeting.speakers.all()),
            poll=poll,
            unannounced=sum(not r.announced for r in poll),
            poll_sent=any(r.announced for r in poll),
            nonresponders=(
                selectors.poll_nonresponders_with_reminders(meeting)
                if context["can_manage"] and poll and not meeting.starts
                else []
            ),
            respondents=selectors.poll_respondents(meeting),
            my_answers=selectors.poll_answers_of(meeting, doctor),
            choices=PollAnswer.Choice.choices,
            can_answer=self.can("meetings.answer") and doctor is not None,
            slot_form=SlotForm(),
            dispatches=dispatches,
            sent=sum(d.status == Dispatch.Status.SENT for d in invitations),
            failed=[d for d in dispatches if d.status == Dispatch.Status.FAILED],
            queued=sum(d.status == Dispatch.Status.QUEUED for d in invitations),
            deadline=services.notice_deadline(meeting),
            minutes=list(meeting.minutes.all()),
            held=held,
            evaluated=selectors.has_evaluated(meeting, self.request.user),
        )
        return context


class InviteSendView(MeetingWriteView):
    page = MeetingDetailView

    def perform(self, form: forms.Form) -> str:
        sent = services.meeting_invite(actor=self.request.user, meeting=self.meeting)
        return ngettext(
            "%(n)s invitation is on its way.", "%(n)s invitations are on their way.", len(sent)
        ) % {"n": len(sent)}


class MeetingCancelView(MeetingWriteView):
    page = MeetingDetailView

    def perform(self, form: forms.Form) -> str:
        services.meeting_cancel(actor=self.request.user, meeting=self.meeting)
        return _("The meeting is cancelled.")


class DispatchRetryView(MeetingWriteView):
    page = MeetingDetailView

    def perform(self, form: forms.Form) -> str:
        dispatch = self.part(self.meeting.dispatches, "dispatch")
        services.dispatch_retry(actor=self.request.user, dispatch=dispatch)
        return _("The e-mail is queued again.")


# --- The plan and external speakers ---------------------------------------------------------


class EditMixin(MeetingMixin):
    def meeting_form(self, data: Any = None) -> MeetingForm:
        m = self.meeting
        local = timezone.localtime(m.starts) if m.starts else None
        initial = {
            "title": m.title,
            "kind": m.kind,
            "day": local.date() if local else None,
            "start_time": local.time() if local else None,
            "end_time": timezone.localtime(m.ends).time() if m.ends else None,
            "place": m.place,
            "video_url": m.video_url,
            "catering": m.catering,
            "host_model": m.host_model,
            "host": m.host_id,
            "guest_clusters": list(m.guest_clusters.values_list("pk", flat=True)),
            "indicators": list(m.indicators.values_list("pk", flat=True)),
        }
        return MeetingForm(
            data, cluster=self.cluster, doctors=selectors.invited_doctors(m), initial=initial
        )


class MeetingEditView(EditMixin, TemplateView):
    permission = "meetings.manage_meeting"
    template_name = "meetings/edit.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "form": self.meeting_form(),
            "speaker_form": SpeakerForm(),
            "speakers": list(self.meeting.speakers.select_related("fee_transaction")),
            "can_book": has_perm(self.request.user, "finance.manage_books", self.cluster),
            **super().get_context_data(**kwargs),
        }


class MeetingUpdateView(EditMixin, MeetingWriteView):
    page = MeetingEditView

    def get_form(self) -> forms.Form:
        return self.meeting_form(self.request.POST)

    def perform(self, form: forms.Form) -> str:
        assert isinstance(form, MeetingForm)
        services.meeting_update(
            actor=self.request.user,
            meeting=self.meeting,
            guest_clusters=form.cleaned_data["guest_clusters"],
            indicators=form.cleaned_data["indicators"],
            **form.planning_fields(),
        )
        return _("The meeting is saved.")


class SpeakerAddView(MeetingWriteView):
    page = MeetingEditView
    form_class = SpeakerForm
    form_name = "speaker_form"
    back = "edit"

    def perform(self, form: forms.Form) -> str:
        services.speaker_add(actor=self.request.user, meeting=self.meeting, **form.cleaned_data)
        return _("The speaker is added.")


class SpeakerRemoveView(MeetingWriteView):
    page = MeetingEditView
    back = "edit"

    def perform(self, form: forms.Form) -> str:
        speaker = self.part(self.meeting.speakers, "speaker")
        services.speaker_remove(actor=self.request.user, speaker=speaker)
        return _("The speaker is removed.")


class SpeakerFeeForm(forms.Form):
    date = DanishDateField()


class SpeakerFeeBookView(MeetingWriteView):
    """Booking a speaker's fee is bookkeeping: the treasurer's permission, on the
    meeting's cluster."""

    permission = "finance.manage_books"
    page = MeetingEditView
    form_class = SpeakerFeeForm
    form_name = "fee_form"
    back = "edit"

    def get_permission_object(self) -> Any:
        self.meeting  # noqa: B018 - another cluster's meeting answers 404 first
        return self.cluster

    def perform(self, form: forms.Form) -> str:
        speaker = self.part(self.meeting.speakers, "speaker")
        services.speaker_fee_book(
            actor=self.request.user, speaker=speaker, date=form.cleaned_data["date"]
        )
        return _("The fee is booked as a speaker fee.")
