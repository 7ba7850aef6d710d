"""Meeting URLs. Pages answer GET; every write has its own URL and name, and the
objects it refers to (an item, a decision, a guest ...) are in the URL, looked up
within the URL's meeting."""

from django.urls import path

from klynge.meetings import pack_views, views

app_name = "meetings"
C = "klynger/<slug:slug>/"
M = C + "moeder/<int:pk>/"
urlpatterns = [
    # The cluster's meetings
    path(C + "moeder/", views.MeetingListView.as_view(), name="list"),
    path(C + "moeder/nyt/", views.MeetingCreateView.as_view(), name="create"),
    path(C + "moeder/nyt/planlaeg/", views.MeetingPlanView.as_view(), name="meeting.create"),
    # One meeting, its plan, speakers, invitations
    path(M, views.MeetingDetailView.as_view(), name="detail"),
    path(M + "rediger/", views.MeetingEditView.as_view(), name="edit"),
    path(M + "rediger/gem/", views.MeetingUpdateView.as_view(), name="meeting.update"),
    path(M + "aflys/", views.MeetingCancelView.as_view(), name="meeting.cancel"),
    path(M + "oplaegsholdere/", views.SpeakerAddView.as_view(), name="speaker.add"),
    path(
        M + "oplaegsholdere/<int:speaker>/fjern/",
        views.SpeakerRemoveView.as_view(),
        name="speaker.remove",
    ),
    path(
        M + "oplaegsholdere/<int:speaker>/honorar/",
        views.SpeakerFeeBookView.as_view(),
        name="speaker.fee",
    ),
    path(M + "kommer/", views.RsvpGiveView.as_view(), name="meeting.rsvp"),
    path(M + "indkald/", views.InviteSendView.as_view(), name="invite.send"),
    path(
        M + "mails/<int:dispatch>/send-igen/",
        views.DispatchRetryView.as_view(),
        name="dispatch.retry",
    ),
    # The date poll
    path(M + "datoer/svar/", views.PollAnswerView.as_view(), name="poll.answer"),
    path(M + "datoer/ny/", views.PollSlotAddView.as_view(), name="poll.slot.add"),
    path(M + "datoer/send/", views.PollSendView.as_view(), name="poll.send"),
    path(M + "datoer/paamind/", views.PollRemindView.as_view(), name="poll.remind"),
    path(M + "datoer/<int:slot>/vaelg/", views.PollCloseView.as_view(), name="poll.close"),
    # The agenda
    path(M + "dagsorden/", views.AgendaView.as_view(), name="agenda"),
    path(M + "dagsorden/skabelon/", views.AgendaTemplateView.as_view(), name="agenda.template"),
    path(M + "dagsorden/punkter/", views.ItemAddView.as_view(), name="agenda.item.add"),
    path(
        M + "dagsorden/punkter/<int:item>/rediger/",
        views.ItemUpdateView.as_view(),
        name="agenda.item.update",
    ),
    path(
        M + "dagsorden/punkter/<int:item>/flyt-<str:direction>/",
        views.ItemMoveView.as_view(),
        name="agenda.item.move",
    ),
    path(
        M + "dagsorden/punkter/<int:item>/fjern/",
        views.ItemDeleteView.as_view(),
        name="agenda.item.delete",
    ),
    path(
        M + "dagsorden/punkter/<int:item>/bilag/",
        views.AttachmentAddView.as_view(),
        name="agenda.item.attach",
    ),
    path(M + "bilag/<int:attachment>/", views.AttachmentView.as_view(), name="attachment"),
    # Attendance
    path(M + "fremmoede/", views.AttendanceView.as_view(), name="attendance"),
    path(M + "fremmoede/gem/", views.AttendanceRecordView.as_view(), name="attendance.record"),
    path(M + "fremmoede.<str:fmt>", views.AttendanceExportView.as_view(), name="attendance.export"),
    path(M + "gaester/", views.GuestAddView.as_view(), name="guest.add"),
    path(M + "gaester/<int:guest>/fjern/", views.GuestRemoveView.as_view(), name="guest.remove"),
    # Minutes
    path(M + "referat/", views.MinutesView.as_view(), name="minutes"),
    path(
        M + "referat/punkter/<int:item>/noter/",
        views.NotesSaveView.as_view(),
        name="minutes.notes",
    ),
    path(
        M + "referat/punkter/<int:item>/beslutninger/",
        views.DecisionAddView.as_view(),
        name="decision.add",
    ),
    path(
        M + "referat/beslutninger/<int:decision>/fjern/",
        views.DecisionDeleteView.as_view(),
        name="decision.delete",
    ),
    path(
        M + "referat/punkter/<int:item>/aktioner/",
        views.ActionAddView.as_view(),
        name="action.add",
    ),
    path(
        M + "referat/aktioner/<int:action>/fjern/",
        views.ActionDeleteView.as_view(),
        name="action.delete",
    ),
    path(M + "aktioner/<int:action>/", views.ActionStatusView.as_view(), name="action.status"),
    path(
        M + "referat/v<int:number>/godkend/",
        views.MinutesApproveView.as_view(),
        name="minutes.approve",
    ),
    path(M + "referat/ret/", views.MinutesCorrectView.as_view(), name="minutes.correct"),
    path(M + "referat-v<int:number>.pdf", views.MinutesPdfView.as_view(), name="minutes.pdf"),
    # Evaluation
    path(M + "evaluering/", views.EvaluationView.as_view(), name="evaluation"),
    path(M + "evaluering/svar/", views.EvaluationSubmitView.as_view(), name="evaluation.submit"),
    # The cluster's year and announcements
    path(C + "fremmoede/", views.AttendanceYearView.as_view(), name="attendance_year"),
    path(C + "aktivitetsrapport/", views.ActivityReportView.as_view(), name="activity_report"),
    path(
        C + "aktivitetsrapport-<int:year>.<str:fmt>",
        views.ActivityReportDownloadView.as_view(),
        name="activity_report.download",
    ),
    path(C + "meddelelser/", views.AnnouncementsView.as_view(), name="announcements"),
    path(C + "meddelelser/send/", views.AnnouncementSendView.as_view(), name="announcement.send"),
    path(M + "moedepakke.pdf", pack_views.MeetingPackView.as_view(), name="pack"),
    path(M + "praesentation/", pack_views.PresentationView.as_view(), name="presentation"),
]
