"""Economy pages, one module per resource: grants and payouts for regions and the
secretariat (`grants`), a cluster's books (`books`), fee contracts (`fees`) and expense
claims (`claims`).

Every write is its own `ServiceFormView` with its own URL and permission; a refused
write re-renders the page it belongs to with the user's input and status 400.
"""

from klynge.finance.views.books import (
    AnnualAccountsPdfView,
    BooksView,
    BudgetAdoptView,
    DissolveView,
    EntryReverseView,
    ExpenseBookView,
    StatementImportView,
)
from klynge.finance.views.claims import (
    AdministrationSetView,
    ClaimDecideView,
    ClaimPayView,
    ClaimQueueView,
    ClaimReceiptView,
    ClaimSubmitView,
    ClaimsView,
)
from klynge.finance.views.fees import (
    ContractCreateView,
    FeePaymentReverseView,
    FeePayView,
    FeeReportView,
    FeesView,
)
from klynge.finance.views.grants import (
    GrantsCsvView,
    GrantsView,
    PayoutRecordView,
    PayoutReverseView,
)
from klynge.finance.views.runs import (
    PaymentRunCreateView,
    PaymentRunCsvView,
    PaymentRunDiscardView,
    PaymentRunRecordView,
    PaymentRunView,
)

__all__ = [
    "AdministrationSetView",
    "AnnualAccountsPdfView",
    "BooksView",
    "BudgetAdoptView",
    "ClaimDecideView",
    "ClaimPayView",
    "ClaimQueueView",
    "ClaimReceiptView",
    "ClaimSubmitView",
    "ClaimsView",
    "ContractCreateView",
    "DissolveView",
    "EntryReverseView",
    "ExpenseBookView",
    "FeePayView",
    "FeePaymentReverseView",
    "FeeReportView",
    "FeesView",
    "GrantsCsvView",
    "GrantsView",
    "PaymentRunCreateView",
    "PaymentRunCsvView",
    "PaymentRunDiscardView",
    "PaymentRunRecordView",
    "PaymentRunView",
    "PayoutRecordView",
    "PayoutReverseView",
    "StatementImportView",
]
