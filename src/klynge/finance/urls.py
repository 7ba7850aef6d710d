from django.urls import path

from klynge.finance import views

app_name = "finance"
_books = "klynger/<slug:slug>/regnskab/"
urlpatterns = [
    # Grants and payouts (regions, secretariat)
    path("oekonomi/tilskud/", views.GrantsView.as_view(), name="grants"),
    path("oekonomi/tilskud.csv", views.GrantsCsvView.as_view(), name="grants.csv"),
    path(
        "klynger/<slug:slug>/tilskud/udbetaling/",
        views.PayoutRecordView.as_view(),
        name="payout.record",
    ),
    path(
        "oekonomi/udbetalinger/<int:pk>/tilbagefoer/",
        views.PayoutReverseView.as_view(),
        name="payout.reverse",
    ),
    # The regional unit's payment run
    path("oekonomi/betalingskoersler/ny/", views.PaymentRunCreateView.as_view(), name="run.create"),
    path("oekonomi/betalingskoersler/<int:pk>/", views.PaymentRunView.as_view(), name="run"),
    path(
        "oekonomi/betalingskoersler/<int:pk>/betalingsliste.csv",
        views.PaymentRunCsvView.as_view(),
        name="run.csv",
    ),
    path(
        "oekonomi/betalingskoersler/<int:pk>/betalt/",
        views.PaymentRunRecordView.as_view(),
        name="run.record",
    ),
    path(
        "oekonomi/betalingskoersler/<int:pk>/slet/",
        views.PaymentRunDiscardView.as_view(),
        name="run.discard",
    ),
    # Expense claims: the secretariat's queue
    path("oekonomi/udlaeg/", views.ClaimQueueView.as_view(), name="claims.queue"),
    path(
        "oekonomi/udlaeg/<int:pk>/bilag/", views.ClaimReceiptView.as_view(), name="claims.receipt"
    ),
    path("oekonomi/udlaeg/<int:pk>/afgoer/", views.ClaimDecideView.as_view(), name="claim.decide"),
    path("oekonomi/udlaeg/<int:pk>/betal/", views.ClaimPayView.as_view(), name="claim.pay"),
    # A cluster's books
    path(_books, views.BooksView.as_view(), name="books"),
    path(f"{_books}udgift/", views.ExpenseBookView.as_view(), name="expense.book"),
    path(f"{_books}budget/", views.BudgetAdoptView.as_view(), name="budget.adopt"),
    path(f"{_books}kontoudtog/", views.StatementImportView.as_view(), name="statement.import"),
    path(
        f"{_books}posteringer/<int:pk>/tilbagefoer/",
        views.EntryReverseView.as_view(),
        name="entry.reverse",
    ),
    path(f"{_books}oploesning/", views.DissolveView.as_view(), name="dissolve"),
    path(
        f"{_books}aarsregnskab-<int:year>.pdf",
        views.AnnualAccountsPdfView.as_view(),
        name="annual_accounts",
    ),
    # Expense claims of a cluster
    path(f"{_books}udlaeg/", views.ClaimsView.as_view(), name="claims"),
    path(f"{_books}udlaeg/nyt/", views.ClaimSubmitView.as_view(), name="claim.submit"),
    path(
        f"{_books}udlaeg/administration/",
        views.AdministrationSetView.as_view(),
        name="administration.set",
    ),
    # Fee contracts
    path(f"{_books}honorarer/", views.FeesView.as_view(), name="fees"),
    path(f"{_books}honorarer/ny/", views.ContractCreateView.as_view(), name="contract.create"),
    path(f"{_books}honorarer/<int:pk>/betal/", views.FeePayView.as_view(), name="fee.pay"),
    path(
        f"{_books}honorarer/betalinger/<int:pk>/tilbagefoer/",
        views.FeePaymentReverseView.as_view(),
        name="fee.reverse",
    ),
    path(
        f"{_books}honorarer-<int:year>.<str:fmt>",
        views.FeeReportView.as_view(),
        name="fees.report",
    ),
]
