from django.urls import path

from klynge.finance import views

app_name = "finance"
urlpatterns = [
    path("oekonomi/tilskud/", views.GrantsView.as_view(), name="grants"),
    path("oekonomi/tilskud.csv", views.GrantsCsvView.as_view(), name="grants.csv"),
    path("oekonomi/tilskud/udbetaling/", views.PayoutCreateView.as_view(), name="payout.create"),
    path("oekonomi/udlaeg/", views.ClaimQueueView.as_view(), name="claims.queue"),
    path(
        "oekonomi/udlaeg/<int:pk>/bilag/", views.ClaimReceiptView.as_view(), name="claims.receipt"
    ),
    path("klynger/<slug:slug>/regnskab/", views.BooksView.as_view(), name="books"),
    path("klynger/<slug:slug>/regnskab/udlaeg/", views.ClaimsView.as_view(), name="claims"),
    path(
        "klynger/<slug:slug>/regnskab/aarsregnskab-<int:year>.pdf",
        views.AnnualAccountsPdfView.as_view(),
        name="annual_accounts",
    ),
    path("klynger/<slug:slug>/regnskab/honorarer/", views.FeesView.as_view(), name="fees"),
    path(
        "klynger/<slug:slug>/regnskab/honorarer-<int:year>.<str:fmt>",
        views.FeeReportView.as_view(),
        name="fees.report",
    ),
]
