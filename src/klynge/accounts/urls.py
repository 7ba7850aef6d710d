from django.urls import path

from klynge.accounts import views

app_name = "accounts"
urlpatterns = [
    path("konto/invitation/<str:token>/", views.InvitationView.as_view(), name="invitation"),
    path(
        "konto/invitation/<str:token>/accepter/",
        views.InvitationAcceptView.as_view(),
        name="invitation.accept",
    ),
    path("konto/personale/", views.StaffView.as_view(), name="staff"),
    path("konto/personale/inviter/", views.StaffInviteView.as_view(), name="staff.invite"),
    path(
        "konto/personale/<int:pk>/send-igen/",
        views.StaffResendView.as_view(),
        name="staff.resend",
    ),
    path("klynger-uden-koordinator/", views.OrphansView.as_view(), name="orphans"),
    path(
        "klynger-uden-koordinator/<slug:slug>/udpeg/",
        views.OrphanAppointView.as_view(),
        name="orphan.appoint",
    ),
    path("klynger/<slug:slug>/personer/", views.PeopleView.as_view(), name="people"),
    path(
        "klynger/<slug:slug>/personer/invitation/<int:pk>/send-igen/",
        views.InvitationResendView.as_view(),
        name="invitation.resend",
    ),
    path(
        "klynger/<slug:slug>/personer/<int:pk>/inviter/",
        views.DoctorInviteView.as_view(),
        name="doctor.invite",
    ),
    path(
        "klynger/<slug:slug>/personer/overdragelse/<int:pk>/dato/",
        views.HandoverDateView.as_view(),
        name="handover.date",
    ),
]
