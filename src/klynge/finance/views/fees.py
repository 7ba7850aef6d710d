"""FIN-4: fixed-fee contracts, paying their instalments (and reversing a payment), and
the year's fee report for the tax authority."""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.dates import today
from klynge.core.downloads import csv_response, file_response
from klynge.core.formatting import format_money
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, ServiceFormView
from klynge.finance import accounts as fin_accounts
from klynge.finance.forms import ContractForm, FeePayForm, ReasonForm
from klynge.finance.models import FeeContract, FeePayment
from klynge.finance.views.common import year_of


class FeesView(ClusterMixin, TemplateView):
    permission = "finance.view_books"
    template_name = "finance/fees.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "contracts": FeeContract.objects.filter(cluster=self.cluster).prefetch_related(
                "payments__reversed_by"
            ),
            "year": year_of(self.request),
            "can_manage": has_perm(self.request.user, "finance.manage_books", self.cluster),
            "contract_form": kwargs.get("contract_form") or ContractForm(),
            "reverse_form": kwargs.get("reverse_form"),
            "new_key": uuid.uuid4,  # called by the template once per form
        }


class FeesWriteView(ClusterMixin, ServiceFormView):
    permission = "finance.manage_books"
    page = FeesView

    def success_url(self) -> str:
        return reverse("finance:fees", args=[self.cluster.slug])


class ContractCreateView(FeesWriteView):
    form_class = ContractForm
    form_name = "contract_form"

    def perform(self, form):
        data = form.cleaned_data
        fin_accounts.contract_create(
            actor=self.request.user,
            cluster=self.cluster,
            recipient=data["recipient"],
            role=data["role"],
            hourly_basis=data["hourly_basis"],
            start=today(),
            frequency=data["frequency"],
        )
        return _("The contract is created.")


class FeePayView(FeesWriteView):
    """Pay one instalment today; the form's token makes a double click pay once."""

    form_class = FeePayForm
    form_name = "pay_form"

    @cached_property
    def contract(self) -> FeeContract:
        return get_object_or_404(FeeContract, pk=self.kwargs["pk"], cluster=self.cluster)

    def perform(self, form):
        payment = fin_accounts.fee_pay(
            actor=self.request.user,
            contract=self.contract,
            paid_on=today(),
            key=form.cleaned_data["key"],
        )
        return _("%(amount)s is booked as paid to %(recipient)s.") % {
            "amount": format_money(payment.amount, 2),
            "recipient": self.contract.recipient,
        }


class FeePaymentReverseView(FeesWriteView):
    """Correct a fee payment by reversal, with the reason; the fee report counts it."""

    form_class = ReasonForm
    form_name = "reverse_form"

    @cached_property
    def payment(self) -> FeePayment:
        return get_object_or_404(
            FeePayment.objects.select_related("contract", "booking"),
            pk=self.kwargs["pk"],
            contract__cluster=self.cluster,
        )

    def perform(self, form):
        fin_accounts.fee_payment_reverse(
            actor=self.request.user,
            payment=self.payment,
            on=today(),
            reason=form.cleaned_data["reason"],
        )
        return _("The payment is reversed; the fee report counts the reversal.")


class FeeReportView(ClusterMixin, View):
    """FIN-4: fees paid per recipient in a year, as CSV or PDF, for the tax authority."""

    permission = "finance.view_books"

    def get(self, request, slug, year: int, fmt: str):
        filename = f"{self.cluster.slug}-honorarer-{year}.{fmt}"
        if fmt == "pdf":
            return file_response(
                fin_accounts.fee_report_pdf(year=year, cluster=self.cluster), filename
            )
        if fmt == "csv":
            rows = fin_accounts.fee_report(year=year, cluster=self.cluster)
            return csv_response([_("Recipient"), _("Fees paid (kr.)")], rows, filename)
        raise Http404
