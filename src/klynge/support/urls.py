"""Support desk URLs: news (public pages, feed) and courses. Every write has its own
URL; the session a write refers to is in the URL."""

from django.urls import path

from klynge.support import meeting_views as mv
from klynge.support import views

app_name = "support"
S = "kurser/hold/<int:pk>/"
NM = "netvaerk/<int:pk>/moeder/<int:meeting>/"  # a network's meeting
urlpatterns = [
    path("nyheder/", views.NewsListView.as_view(), name="news.list"),
    path("nyheder/feed/", views.NewsFeed(), name="news.feed"),
    path("nyheder/<int:pk>/", views.NewsDetailView.as_view(), name="news.detail"),
    path("nyheder/skriv/", views.NewsPublishView.as_view(), name="news.publish"),
    path("nyheder/mail/til/", views.DigestSubscribeView.as_view(), name="digest.subscribe"),
    path("nyheder/mail/fra/", views.DigestUnsubscribeView.as_view(), name="digest.unsubscribe"),
    path("kurser/", views.CourseListView.as_view(), name="course.list"),
    path("kurser/nyt/", views.CourseCreateView.as_view(), name="course.create"),
    path("kurser/<int:pk>/hold/", views.SessionAddView.as_view(), name="session.add"),
    path(
        "kurser/<int:pk>/interesse/", views.InterestRegisterView.as_view(), name="interest.register"
    ),
    path(
        "kurser/<int:pk>/interesse/fjern/",
        views.InterestWithdrawView.as_view(),
        name="interest.withdraw",
    ),
    path(S + "forbehold/", views.SeatReserveView.as_view(), name="seats.reserve"),
    path(S + "tilmeld/", views.SeatBookView.as_view(), name="seat.book"),
    path(S + "afmeld/", views.SeatCancelView.as_view(), name="seat.cancel"),
    path(S + "venteliste/", views.WaitingJoinView.as_view(), name="waiting.join"),
    path(S + "venteliste/forlad/", views.WaitingLeaveView.as_view(), name="waiting.leave"),
    path(S + "tag-pladsen/", views.OfferAcceptView.as_view(), name="offer.accept"),
    path(S + "deltagere/", views.AttendanceView.as_view(), name="session.attendance"),
    path(S + "kalender.ics", views.SessionCalendarView.as_view(), name="session.ics"),
]
urlpatterns += [
    path("henvendelser/ny/", views.InquiryFormView.as_view(), name="inquiry.new"),
    path("henvendelser/ny/send/", views.InquirySubmitView.as_view(), name="inquiry.submit"),
    path(
        "henvendelser/status/<str:token>/", views.InquiryStatusView.as_view(), name="inquiry.status"
    ),
    path("samarbejder/", views.CollaborationListView.as_view(), name="collaborations"),
    path("henvendelser/", views.InquiryQueueView.as_view(), name="inquiry.queue"),
    path("henvendelser/<int:pk>/sorter/", views.InquiryTriageView.as_view(), name="inquiry.triage"),
    path("henvendelser/<int:pk>/afgoer/", views.InquiryDecideView.as_view(), name="inquiry.decide"),
    path(
        "henvendelser/<int:pk>/send-videre/",
        views.InquiryForwardView.as_view(),
        name="inquiry.forward",
    ),
    path("styregruppen/", views.CommitteeView.as_view(), name="committee"),
    path(
        "styregruppen/<int:pk>/afgoer/",
        views.CommitteeDecideView.as_view(),
        name="committee.decide",
    ),
    path(
        "klynger/<slug:slug>/henvendelser/",
        views.ClusterInquiriesView.as_view(),
        name="cluster.inquiries",
    ),
    path(
        "klynger/<slug:slug>/henvendelser/<int:pk>/ja/",
        views.ForwardingOptInView.as_view(),
        name="forwarding.opt_in",
    ),
    path(
        "klynger/<slug:slug>/aktivitetsrapport-<int:year>/indsend/",
        views.ReportSubmitView.as_view(),
        name="report.submit",
    ),
    path("aktivitetsrapporter/", views.ReportStatusView.as_view(), name="reports"),
    path("aktivitetsrapporter.csv", views.ReportStatusCsvView.as_view(), name="reports.csv"),
    path("netvaerk/", views.NetworkListView.as_view(), name="networks"),
    path("netvaerk/tilmeld/", views.NetworkOptInView.as_view(), name="network.opt_in"),
    path("netvaerk/afmeld/", views.NetworkOptOutView.as_view(), name="network.opt_out"),
    path("netvaerk/<int:pk>/", views.NetworkView.as_view(), name="network"),
    path("netvaerk/<int:pk>/skriv/", views.NetworkPostView.as_view(), name="network.post"),
    # The network's meetings: the meetings features, organised by the region's unit
    path(
        "netvaerk/<int:pk>/moeder/planlaeg/",
        mv.NetworkMeetingPlanView.as_view(),
        name="network.meeting.plan",
    ),
    path(NM, mv.NetworkMeetingView.as_view(), name="network.meeting"),
    path(NM + "gem/", mv.NetworkMeetingUpdateView.as_view(), name="network.meeting.update"),
    path(NM + "indkald/", mv.NetworkMeetingInviteView.as_view(), name="network.meeting.invite"),
    path(NM + "aflys/", mv.NetworkMeetingCancelView.as_view(), name="network.meeting.cancel"),
    path(
        NM + "mails/<int:dispatch>/send-igen/",
        mv.NetworkDispatchRetryView.as_view(),
        name="network.meeting.retry",
    ),
    path(NM + "kommer/", mv.NetworkRsvpView.as_view(), name="network.meeting.rsvp"),
    path(NM + "dagsorden/", mv.NetworkItemAddView.as_view(), name="network.meeting.item.add"),
    path(
        NM + "dagsorden/<int:item>/fjern/",
        mv.NetworkItemDeleteView.as_view(),
        name="network.meeting.item.delete",
    ),
    path(NM + "fremmoede/", mv.NetworkAttendanceView.as_view(), name="network.meeting.attendance"),
    path(
        NM + "referat/<int:item>/noter/",
        mv.NetworkNotesView.as_view(),
        name="network.meeting.notes",
    ),
    path(
        NM + "referat/<int:item>/beslutninger/",
        mv.NetworkDecisionAddView.as_view(),
        name="network.meeting.decision.add",
    ),
    path(
        NM + "referat/<int:item>/aktioner/",
        mv.NetworkActionAddView.as_view(),
        name="network.meeting.action.add",
    ),
    path(
        NM + "referat/v<int:number>/godkend/",
        mv.NetworkMinutesApproveView.as_view(),
        name="network.meeting.approve",
    ),
    path(
        NM + "referat-v<int:number>.pdf",
        mv.NetworkMinutesPdfView.as_view(),
        name="network.meeting.pdf",
    ),
    path(
        "klynger/<slug:slug>/overdragelsespakke/",
        views.HandoverPackView.as_view(),
        name="handover",
    ),
]
