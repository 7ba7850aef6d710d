from django.urls import path

from klynge.meetings import pack_views, views

app_name = "meetings"
M = "klynger/<slug:slug>/moeder/<int:pk>/"
urlpatterns = [
    path("klynger/<slug:slug>/moeder/", views.MeetingListView.as_view(), name="list"),
    path("klynger/<slug:slug>/moeder/nyt/", views.MeetingCreateView.as_view(), name="create"),
    path(M, views.MeetingDetailView.as_view(), name="detail"),
    path(M + "rediger/", views.MeetingEditView.as_view(), name="edit"),
    path(M + "datoer/", views.PollView.as_view(), name="poll"),
    path(M + "indkaldelse/", views.InviteView.as_view(), name="invite"),
    path(M + "dagsorden/", views.AgendaView.as_view(), name="agenda"),
    path(M + "bilag/<int:attachment>/", views.AttachmentView.as_view(), name="attachment"),
    path(M + "fremmoede/", views.AttendanceView.as_view(), name="attendance"),
    path(M + "fremmoede.<str:fmt>", views.AttendanceExportView.as_view(), name="attendance.export"),
    path(M + "referat/", views.MinutesView.as_view(), name="minutes"),
    path(M + "referat-v<int:number>.pdf", views.MinutesPdfView.as_view(), name="minutes.pdf"),
    path(M + "aktioner/<int:action>/", views.ActionStatusView.as_view(), name="action.status"),
    path(M + "evaluering/", views.EvaluationView.as_view(), name="evaluation"),
    path(
        "klynger/<slug:slug>/fremmoede/", views.AttendanceYearView.as_view(), name="attendance_year"
    ),
    path(
        "klynger/<slug:slug>/aktivitetsrapport/",
        views.ActivityReportView.as_view(),
        name="activity_report",
    ),
    path(
        "klynger/<slug:slug>/aktivitetsrapport-<int:year>.<str:fmt>",
        views.ActivityReportDownloadView.as_view(),
        name="activity_report.download",
    ),
    path(
        "klynger/<slug:slug>/meddelelser/", views.AnnouncementsView.as_view(), name="announcements"
    ),
    path(M + "moedepakke.pdf", pack_views.MeetingPackView.as_view(), name="pack"),
    path(M + "praesentation/", pack_views.PresentationView.as_view(), name="presentation"),
]
