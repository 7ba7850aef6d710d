"""Meeting pages. Each view loads the cluster from the URL and the meeting within it
(another cluster's meeting answers 404), checks one permission, parses a form and calls
a service; a broken rule comes back as the service's message with status 400."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import F
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.downloads import csv_response, file_response
from klynge.core.errors import DomainError
from klynge.core.permissions import has_perm
from klynge.meetings import documents, selectors, services
from klynge.meetings.agendas import TEMPLATES
from klynge.meetings.forms import (
    ActionForm,
    AnnouncementForm,
    DecisionForm,
    EvaluationForm,
    GuestForm,
    ItemForm,
    MeetingForm,
    NewMeetingForm,
    SlotForm,
    SpeakerForm,
)
from klynge.meetings.models import (
    Action,
    Announcement,
    Attendance,
    Dispatch,
    Meeting,
    MinutesVersion,
    PollAnswer,
)
from klynge.registry.forms import DanishDateField
from klynge.registry.models import Doctor, RoleKind
from klynge.registry.selectors import today
from klynge.registry.views import ClusterMixin


def _get(queryset: Any, pk: Any) -> Any:
    """The object with primary key `pk` (as posted) in `queryset`, or 404."""
    if not str(pk or "").isdigit():
        raise Http404
    return get_object_or_404(queryset, pk=int(pk))


def _year(request: HttpRequest) -> int:
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

    def get_permission_object(self) -> Meeting:  # type: ignore[override]
        return self.meeting

    def can(self, permission: str) -> bool:
        return has_perm(self.request.user, permission, self.meeting)

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Http404

    def meeting_url(self, name: str = "detail") -> str:
        return reverse(f"meetings:{name}", args=[self.cluster.slug, self.meeting.pk])

    def my_doctor(self) -> Doctor | None:
        user = self.request.user
        return Doctor.objects.filter(user=user).first() if user.is_authenticated else None

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            meeting=self.meeting,
            can_manage=self.can("meetings.manage_meeting"),
            can_approve=self.can("meetings.approve_minutes"),
            locked=selectors.minutes_locked(self.meeting),
        )
        return context


class ActionPageMixin:
    """A page with several small forms, each posting an `op`. Success redirects back
    (PRG); a broken rule re-renders the page with the message and status 400."""

    request: HttpRequest
    forms_invalid: dict[str, forms.Form]

    def handle(self, op: str) -> HttpResponse | None:  # pragma: no cover - overridden
        raise NotImplementedError

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.forms_invalid = {}
        op = request.POST.get("op", "")
        try:
            response = self.handle(op)
        except DomainError as error:
            messages.error(request, error.message)
            response = None
        if response is not None:
            return response
        context = self.get_context_data(**kwargs)  # type: ignore[attr-defined]
        context.update(self.forms_invalid)
        return self.render_to_response(context, status=400)  # type: ignore[attr-defined]

    def done(self, message: str, url: str) -> HttpResponse:
        messages.success(self.request, message)
        return HttpResponseRedirect(url)


# --- Lists ------------------------------------------------------------------------------


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


class MeetingCreateView(ClusterMixin, TemplateView):
    permission = "meetings.plan_meeting"
    template_name = "meetings/create.html"

    def form(self, data=None) -> NewMeetingForm:
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

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {"form": self.form(), **super().get_context_data(**kwargs)}

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.form(request.POST)
        if form.is_valid():
            invite = form.cleaned_data["invite"] and form.cleaned_data["starts"] is not None
            try:
                with transaction.atomic():  # planned and invited, or neither
                    meeting = services.meeting_create(
                        actor=request.user,
                        cluster=self.cluster,
                        template=form.cleaned_data["template"],
                        guest_clusters=form.cleaned_data["guest_clusters"],
                        indicators=form.cleaned_data["indicators"],
                        **form.planning_fields(),
                    )
                    if invite:
                        services.meeting_invite(actor=request.user, meeting=meeting)
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request,
                    _("The meeting is planned and the invitations are on their way.")
                    if invite
                    else _("The meeting is planned."),
                )
                return HttpResponseRedirect(
                    reverse("meetings:detail", args=[self.cluster.slug, meeting.pk])
                )
        return self.render_to_response(self.get_context_data(form=form), status=400)


# --- One meeting ------------------------------------------------------------------------


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
        context.update(
            items=list(meeting.items.select_related("owner").prefetch_related("attachments")),
            carried=selectors.open_actions(meeting=meeting),
            speakers=list(meeting.speakers.all()),
            poll=selectors.poll_results(meeting),
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
            held=bool(meeting.starts and meeting.starts <= timezone.now()),
            evaluated=selectors.has_evaluated(meeting, self.request.user),
        )
        return context


class PollView(ActionPageMixin, MeetingDetailView):
    """Date poll: editors offer dates and close on one; members answer."""

    permission = "meetings.view_meetings"
    template_name = "meetings/detail.html"
    http_method_names = ["post"]

    def handle(self, op: str) -> HttpResponse | None:
        meeting, post = self.meeting, self.request.POST
        if op == "answer":
            self.require("meetings.answer")
            doctor = self.my_doctor()
            if doctor is None:
                raise Http404
            answers = {
                int(k.removeprefix("slot-")): str(v)
                for k, v in post.items()
                if k.startswith("slot-") and k.removeprefix("slot-").isdigit()
            }
            services.poll_answer(doctor=doctor, meeting=meeting, answers=answers)
            return self.done(_("Thank you; your answer is saved."), self.meeting_url())
        self.require("meetings.manage_meeting")
        if op == "add_slot":
            form = SlotForm(post)
            if not form.is_valid():
                self.forms_invalid["slot_form"] = form
                return None
            services.poll_open(
                actor=self.request.user,
                meeting=meeting,
                slots=[(form.cleaned_data["starts"], form.cleaned_data["ends"])],
            )
            return self.done(
                _("The date is offered; the members are asked by e-mail."), self.meeting_url()
            )
        if op == "close":
            slot = _get(meeting.slots, post.get("slot"))
            services.poll_close(actor=self.request.user, meeting=meeting, slot=slot)
            return self.done(
                _("The date is set and the invitations are on their way."), self.meeting_url()
            )
        raise Http404


class InviteView(ActionPageMixin, MeetingDetailView):
    permission = "meetings.manage_meeting"
    template_name = "meetings/detail.html"
    http_method_names = ["post"]

    def handle(self, op: str) -> HttpResponse | None:
        if op == "invite":
            sent = services.meeting_invite(actor=self.request.user, meeting=self.meeting)
            return self.done(
                _("%(n)s invitations are on their way.") % {"n": len(sent)}, self.meeting_url()
            )
        if op == "cancel":
            services.meeting_cancel(actor=self.request.user, meeting=self.meeting)
            return self.done(_("The meeting is cancelled."), self.meeting_url())
        if op == "retry":
            dispatch = get_object_or_404(
                self.meeting.dispatches, pk=self.request.POST.get("dispatch")
            )
            services.dispatch_retry(actor=self.request.user, dispatch=dispatch)
            return self.done(_("The e-mail is queued again."), self.meeting_url())
        raise Http404


class MeetingEditView(MeetingMixin, ActionPageMixin, TemplateView):
    permission = "meetings.manage_meeting"
    template_name = "meetings/edit.html"

    def form(self, data=None) -> MeetingForm:
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

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            "form": self.form(),
            "speaker_form": SpeakerForm(),
            "speakers": list(self.meeting.speakers.select_related("fee_transaction")),
            "can_book": has_perm(self.request.user, "finance.manage_books", self.cluster),
            **super().get_context_data(**kwargs),
        }

    def handle(self, op: str) -> HttpResponse | None:
        post, user = self.request.POST, self.request.user
        if op == "plan":
            form = self.form(post)
            if not form.is_valid():
                self.forms_invalid["form"] = form
                return None
            services.meeting_update(
                actor=user,
                meeting=self.meeting,
                guest_clusters=form.cleaned_data["guest_clusters"],
                indicators=form.cleaned_data["indicators"],
                **form.planning_fields(),
            )
            return self.done(_("The meeting is saved."), self.meeting_url())
        if op == "speaker":
            speaker_form = SpeakerForm(post)
            if not speaker_form.is_valid():
                self.forms_invalid["speaker_form"] = speaker_form
                return None
            services.speaker_add(actor=user, meeting=self.meeting, **speaker_form.cleaned_data)
            return self.done(_("The speaker is added."), self.meeting_url("edit"))
        speaker = _get(self.meeting.speakers, post.get("speaker"))
        if op == "speaker_remove":
            services.speaker_remove(actor=user, speaker=speaker)
            return self.done(_("The speaker is removed."), self.meeting_url("edit"))
        if op == "speaker_fee":
            if not has_perm(user, "finance.manage_books", self.cluster):
                raise Http404
            field = DanishDateField()
            try:
                paid_on = field.clean(post.get("date", ""))
            except forms.ValidationError as error:
                raise DomainError(" ".join(error.messages)) from error
            services.speaker_fee_book(actor=user, speaker=speaker, date=paid_on)
            return self.done(_("The fee is booked as a speaker fee."), self.meeting_url("edit"))
        raise Http404


class AgendaView(MeetingMixin, ActionPageMixin, TemplateView):
    permission = "meetings.manage_meeting"
    template_name = "meetings/agenda.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        doctors = selectors.invited_doctors(self.meeting)
        return {
            "item_form": ItemForm(doctors=doctors),
            "items": list(
                self.meeting.items.select_related("owner").prefetch_related("attachments")
            ),
            "templates": [(k, label) for k, (label, _items) in TEMPLATES.items()],
            "carried": selectors.open_actions(meeting=self.meeting),
            "doctors": doctors,
            **super().get_context_data(**kwargs),
        }

    def handle(self, op: str) -> HttpResponse | None:
        post, user, meeting = self.request.POST, self.request.user, self.meeting
        back = self.meeting_url("agenda")
        if op == "template":
            services.agenda_apply_template(
                actor=user, meeting=meeting, template=post.get("template", "")
            )
            return self.done(_("The template's items are added."), back)
        if op == "add":
            form = ItemForm(post, doctors=selectors.invited_doctors(meeting))
            if not form.is_valid():
                self.forms_invalid["item_form"] = form
                return None
            services.item_save(
                actor=user,
                meeting=meeting,
                follow_up=bool(post.get("follow_up")),
                **form.cleaned_data,
            )
            return self.done(_("The item is added."), back)
        item = _get(meeting.items, post.get("item"))
        if op in ("up", "down"):
            services.item_move(actor=user, item=item, up=op == "up")
            return HttpResponseRedirect(back)
        if op == "delete":
            services.item_delete(actor=user, item=item)
            return self.done(_("The item is removed."), back)
        if op == "attach":
            upload = self.request.FILES.get("file")
            if upload is None:
                raise DomainError(_("Choose a file."))
            services.attachment_add(actor=user, item=item, upload=upload)
            return self.done(_("The file is attached."), back)
        raise Http404


class AttachmentView(MeetingMixin, View):
    permission = "meetings.view_meetings"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        from klynge.meetings.models import AgendaAttachment

        attachment = get_object_or_404(
            AgendaAttachment, pk=kwargs["attachment"], item__meeting=self.meeting
        )
        return FileResponse(
            attachment.file.open("rb"), as_attachment=True, filename=attachment.name
        )


class AttendanceView(MeetingMixin, ActionPageMixin, TemplateView):
    permission = "meetings.manage_meeting"
    template_name = "meetings/attendance.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = {
            "rows": selectors.attendance_list(self.meeting),
            "statuses": Attendance.Status.choices,
            "guest_form": GuestForm(),
            "guests": list(self.meeting.guests.all()),
            "show_reasons": self.show_reasons,
            **super().get_context_data(**kwargs),
        }
        if self.meeting.is_general_assembly:
            context["quorum"] = selectors.quorum(self.meeting)
        return context

    @cached_property
    def show_reasons(self) -> bool:
        """The member hosting in turn registers attendance too, but does not read back
        why colleagues were absent: for them a reason is write-only."""
        return selectors.sees_absence_reasons(self.request.user, self.meeting)

    def handle(self, op: str) -> HttpResponse | None:
        post, user, meeting = self.request.POST, self.request.user, self.meeting
        back = self.meeting_url("attendance")
        if op == "marks":
            marks = {}
            rest = Attendance.Status.PRESENT if post.get("rest") == "present" else ""
            for doctor, mark in selectors.attendance_list(meeting):
                status = post.get(f"status-{doctor.pk}", "") or rest
                if status:
                    reason = post.get(f"reason-{doctor.pk}", "").strip()
                    if not reason and not self.show_reasons and mark is not None:
                        reason = mark.reason  # not shown to this user, so kept as it was
                    marks[doctor.pk] = (status, reason)
            services.attendance_record(actor=user, meeting=meeting, marks=marks)
            return self.done(_("The attendance is saved."), back)
        if op == "guest":
            form = GuestForm(post)
            if not form.is_valid():
                self.forms_invalid["guest_form"] = form
                return None
            services.guest_add(actor=user, meeting=meeting, **form.cleaned_data)
            return self.done(_("The guest is added."), back)
        if op == "guest_remove":
            guest = _get(meeting.guests, post.get("guest"))
            services.guest_remove(actor=user, guest=guest)
            return self.done(_("The guest is removed."), back)
        raise Http404


class AttendanceExportView(MeetingMixin, View):
    permission = "meetings.view_meetings"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = self.meeting
        day = selectors.meeting_date(meeting)
        name = f"fremmoede-{self.cluster.slug}-{day}"
        # Every reader gets the list; only the coordinator, board and secretariat why.
        reasons = selectors.sees_absence_reasons(request.user, meeting)
        if kwargs["fmt"] == "csv":
            from django.utils import translation

            with translation.override("da"):
                rows = documents.attendance_rows(meeting, reasons=reasons)
            header = documents.ATTENDANCE_CSV_HEADER + (["reason"] if reasons else [])
            return csv_response(header, rows, f"{name}.csv")
        if kwargs["fmt"] == "pdf":
            return file_response(documents.attendance_pdf(meeting, reasons=reasons), f"{name}.pdf")
        raise Http404


class MinutesView(MeetingMixin, ActionPageMixin, TemplateView):
    """Minutes per agenda item with decisions and actions; approval locks them."""

    permission = "meetings.view_meetings"
    template_name = "meetings/minutes.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        doctors = selectors.invited_doctors(self.meeting)
        context = {
            "decision_form": DecisionForm(),
            "action_form": ActionForm(doctors=doctors),
            **super().get_context_data(**kwargs),
            **documents.minutes_context(self.meeting),
            "versions": list(self.meeting.minutes.all()),
            "draft": selectors.current_minutes(self.meeting),
            "held": bool(self.meeting.starts and self.meeting.starts <= timezone.now()),
            "action_statuses": Action.Status.choices,
        }
        if self.meeting.is_general_assembly:
            context["roles"] = RoleKind.choices
            context["doctors"] = doctors
        return context

    def handle(self, op: str) -> HttpResponse | None:
        post, user, meeting = self.request.POST, self.request.user, self.meeting
        back = self.meeting_url("minutes")
        if op in ("approve", "correct"):
            self.require("meetings.approve_minutes")
            if op == "approve":
                version = services.minutes_approve(actor=user, meeting=meeting)
                return self.done(
                    _("Version %(n)s of the minutes is approved, locked and filed as PDF.")
                    % {"n": version.number},
                    back,
                )
            services.minutes_correct(actor=user, meeting=meeting, reason=post.get("reason", ""))
            return self.done(_("A correction is open as a new draft version."), back)
        self.require("meetings.manage_meeting")
        item = _get(meeting.items, post["item"]) if post.get("item") else None
        if op == "notes" and item is not None:
            services.item_notes_save(actor=user, item=item, notes=post.get("notes", ""))
            return self.done(_("The minutes are saved."), f"{back}#item-{item.pk}")
        if op == "decision":
            form = DecisionForm(post)
            if not form.is_valid():
                self.forms_invalid["decision_form"] = form
                return None
            services.decision_add(actor=user, meeting=meeting, item=item, **form.cleaned_data)
            return self.done(_("The decision is recorded."), back)
        if op == "action":
            action_form = ActionForm(post, doctors=selectors.invited_doctors(meeting))
            if not action_form.is_valid():
                self.forms_invalid["action_form"] = action_form
                return None
            services.action_add(actor=user, meeting=meeting, item=item, **action_form.cleaned_data)
            return self.done(_("The action is recorded."), back)
        if op == "decision_delete":
            decision = _get(meeting.decisions, post.get("decision"))
            services.decision_delete(actor=user, decision=decision)
            return self.done(_("The decision is removed."), back)
        if op == "action_delete":
            action = _get(meeting.actions, post.get("action"))
            services.action_delete(actor=user, action=action)
            return self.done(_("The action is removed."), back)
        if op == "election":
            from klynge.governance.elections import election_record

            doctor = _get(Doctor.objects.all(), post.get("doctor"))
            try:
                start = DanishDateField(required=False).clean(post.get("start", ""))
            except forms.ValidationError as error:
                raise DomainError(" ".join(error.messages), field="start") from error
            start = start or selectors.meeting_date(meeting)
            election_record(
                actor=user, meeting=meeting, role=post.get("role", ""), doctor=doctor, start=start
            )
            return self.done(_("The election is recorded and the role registered."), back)
        raise Http404


class ActionStatusView(MeetingMixin, View):
    """Follow-up on an action, from any meeting page it appears on."""

    permission = "meetings.manage_meeting"

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        action = get_object_or_404(Action, pk=kwargs["action"], meeting__cluster=self.cluster)
        try:
            services.action_set_status(
                actor=request.user, action=action, status=request.POST.get("status", "")
            )
        except DomainError as error:
            messages.error(request, error.message)
        next_url = request.POST.get("next", "")
        if not url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            next_url = self.meeting_url()
        return HttpResponseRedirect(next_url)


class MinutesPdfView(MeetingMixin, View):
    permission = "meetings.view_meetings"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        version = get_object_or_404(
            MinutesVersion,
            meeting=self.meeting,
            number=kwargs["number"],
            status=MinutesVersion.Status.APPROVED,
        )
        return FileResponse(
            version.pdf.open("rb"),
            as_attachment=True,
            filename=version.pdf.name.rsplit("/", 1)[-1],
            content_type="application/pdf",
        )


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

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.require("meetings.answer")
        form = EvaluationForm(request.POST)
        if form.is_valid():
            try:
                services.evaluation_submit(
                    user=request.user, meeting=self.meeting, **form.cleaned_data
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                messages.success(request, _("Thank you. Your answer is anonymous."))
                return HttpResponseRedirect(self.meeting_url("evaluation"))
        context = self.get_context_data(**kwargs)
        context["form"] = form
        return self.render_to_response(context, status=400)


# --- The cluster's year -----------------------------------------------------------------


class AttendanceYearView(ClusterMixin, TemplateView):
    """Every doctor and clinic against the statutes' attendance rule (GOV-5)."""

    permission = "meetings.view_meetings"
    template_name = "meetings/attendance_year.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = _year(self.request)
        attendance = selectors.attendance_year(cluster=self.cluster, year=year)
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "years": documents.years_with_meetings(self.cluster),
            "a": attendance,
            "evaluations": selectors.evaluations_by_meeting(attendance.meetings),
            "year_evaluation": selectors.evaluation_summary(attendance.meetings),
        }


class ActivityReportView(ClusterMixin, TemplateView):
    permission = "meetings.view_activity_report"
    template_name = "meetings/activity_report.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = _year(self.request)
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "years": documents.years_with_meetings(self.cluster),
            "r": documents.activity_report(cluster=self.cluster, year=year),
        }


class ActivityReportDownloadView(ClusterMixin, View):
    permission = "meetings.view_activity_report"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not 2000 <= kwargs["year"] <= 2100:
            raise Http404
        report = documents.activity_report(cluster=self.cluster, year=kwargs["year"])
        name = f"aktivitetsrapport-{self.cluster.slug}-{kwargs['year']}"
        if kwargs["fmt"] == "csv":
            return csv_response(
                documents.ACTIVITY_CSV_HEADER, documents.activity_report_rows(report), f"{name}.csv"
            )
        if kwargs["fmt"] == "pdf":
            return file_response(documents.activity_report_pdf(report), f"{name}.pdf")
        raise Http404


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

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_perm(request.user, "meetings.announce", self.cluster):
            raise Http404
        form = AnnouncementForm(request.POST)
        if form.is_valid():
            try:
                services.announcement_send(
                    actor=request.user, cluster=self.cluster, **form.cleaned_data
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request, _("The announcement is sent to the members and shown here.")
                )
                return HttpResponseRedirect(
                    reverse("meetings:announcements", args=[self.cluster.slug])
                )
        context = self.get_context_data(**kwargs)
        context["form"] = form
        return self.render_to_response(context, status=400)
