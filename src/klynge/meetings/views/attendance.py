"""Attendance: who came, who was excused and why, guests, the exports, and the
cluster's year against the statutes' attendance rule."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.downloads import csv_response, file_response
from klynge.core.views import ClusterMixin
from klynge.meetings import documents, selectors, services
from klynge.meetings.forms import GuestForm
from klynge.meetings.models import Attendance
from klynge.meetings.views.base import MeetingMixin, MeetingWriteView, year_of


class AttendanceMixin(MeetingMixin):
    @cached_property
    def show_reasons(self) -> bool:
        """The member hosting in turn registers attendance too, but does not read back
        why colleagues were absent: for them a reason is write-only."""
        return selectors.sees_absence_reasons(self.request.user, self.meeting)


class AttendanceView(AttendanceMixin, TemplateView):
    permission = "meetings.manage_meeting"
    template_name = "meetings/attendance.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        rsvp = selectors.rsvp_summary(self.meeting) if self.meeting.starts else None
        answers = rsvp.by_doctor() if rsvp is not None else {}
        context = {
            # Each doctor with what was registered and, beside it, what they answered
            # beforehand ("jeg kommer / jeg kommer ikke"): the answer informs, the
            # registration records what happened.
            "rows": [
                (doctor, mark, answers.get(doctor.pk))
                for doctor, mark in selectors.attendance_list(self.meeting)
            ],
            "rsvp": rsvp,
            "statuses": Attendance.Status.choices,
            "guest_form": GuestForm(),
            "guests": list(self.meeting.guests.all()),
            "show_reasons": self.show_reasons,
            **super().get_context_data(**kwargs),
        }
        if self.meeting.is_general_assembly:
            context["quorum"] = selectors.quorum(self.meeting)
        return context


class AttendanceForm(forms.Form):
    """One status and one reason per invited doctor (`status-<id>`, `reason-<id>`), and
    `rest`: mark everyone not marked as present. The service checks the statuses."""

    rest = forms.CharField(required=False)

    def __init__(self, *args: Any, doctor_ids: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.doctor_ids = doctor_ids
        for pk in doctor_ids:
            self.fields[f"status-{pk}"] = forms.CharField(required=False)
            self.fields[f"reason-{pk}"] = forms.CharField(required=False, max_length=500)


class AttendanceRecordView(AttendanceMixin, MeetingWriteView):
    page = AttendanceView
    back = "attendance"

    def get_form(self) -> forms.Form:
        doctor_ids = [d.pk for d in selectors.invited_doctors(self.meeting)]
        return AttendanceForm(self.request.POST, doctor_ids=doctor_ids)

    def perform(self, form: forms.Form) -> str:
        data = form.cleaned_data
        rest = Attendance.Status.PRESENT if data["rest"] == "present" else ""
        marks = {}
        for doctor, mark in selectors.attendance_list(self.meeting):
            status = data.get(f"status-{doctor.pk}", "") or rest
            if status:
                reason = data.get(f"reason-{doctor.pk}", "").strip()
                if not reason and not self.show_reasons and mark is not None:
                    reason = mark.reason  # not shown to this user, so kept as it was
                marks[doctor.pk] = (status, reason)
        services.attendance_record(actor=self.request.user, meeting=self.meeting, marks=marks)
        return _("The attendance is saved.")


class GuestAddView(MeetingWriteView):
    page = AttendanceView
    form_class = GuestForm
    form_name = "guest_form"
    back = "attendance"

    def perform(self, form: forms.Form) -> str:
        services.guest_add(actor=self.request.user, meeting=self.meeting, **form.cleaned_data)
        return _("The guest is added.")


class GuestRemoveView(MeetingWriteView):
    page = AttendanceView
    back = "attendance"

    def perform(self, form: forms.Form) -> str:
        guest = self.part(self.meeting.guests, "guest")
        services.guest_remove(actor=self.request.user, guest=guest)
        return _("The guest is removed.")


class AttendanceExportView(MeetingMixin, View):
    permission = "meetings.view_meetings"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        meeting = self.meeting
        day = selectors.meeting_date(meeting)
        name = f"fremmoede-{self.cluster.slug}-{day}"
        # Every reader gets the list; only the coordinator, board and secretariat why.
        reasons = selectors.sees_absence_reasons(request.user, meeting)
        if kwargs["fmt"] == "csv":
            rows = documents.attendance_rows(meeting, reasons=reasons)
            header = documents.ATTENDANCE_CSV_HEADER + (
                [documents.ABSENCE_REASON_HEADER] if reasons else []
            )
            return csv_response(header, rows, f"{name}.csv")
        if kwargs["fmt"] == "pdf":
            return file_response(documents.attendance_pdf(meeting, reasons=reasons), f"{name}.pdf")
        raise Http404


class AttendanceYearView(ClusterMixin, TemplateView):
    """Every doctor and clinic against the statutes' attendance rule (GOV-5)."""

    permission = "meetings.view_meetings"
    template_name = "meetings/attendance_year.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = year_of(self.request)
        attendance = selectors.attendance_year(cluster=self.cluster, year=year)
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "years": documents.years_with_meetings(self.cluster),
            "a": attendance,
            "evaluations": selectors.evaluations_by_meeting(attendance.meetings),
            "year_evaluation": selectors.evaluation_summary(attendance.meetings),
        }
