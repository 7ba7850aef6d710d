"""FIN-2: the regional unit's payment run. The grants page offers the grants that are
due; the chosen ones become a run with a payment list for the bank (CSV), which is then
recorded as paid on the day the bank paid, in one step."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView, View

from klynge.core.dates import today
from klynge.core.downloads import csv_response
from klynge.core.formatting import format_date
from klynge.core.permissions import has_perm
from klynge.core.views import PermissionMixin, ServiceFormView
from klynge.finance import runs
from klynge.finance.forms import PaymentRunCreateForm, PaymentRunRecordForm
from klynge.finance.models import PaymentRun
from klynge.finance.views.grants import GrantsView
from klynge.registry.selectors import staff_scope


class RunMixin:
    """The run in the URL, 404 unless the user's region made it (or the secretariat)."""

    kwargs: dict[str, Any]
    request: Any

    @cached_property
    def run(self) -> PaymentRun:
        run = get_object_or_404(PaymentRun.objects.select_related("region"), pk=self.kwargs["pk"])
        if not runs.visible(user=self.request.user, run=run, on=today()):
            raise Http404
        return run

    def dispatch(self, request, *args, **kwargs):
        # After the permission (anonymous: log in; others: 403), another region's run
        # is 404 to every method, so a GET of a write says nothing about it either.
        if has_perm(request.user, self.permission):  # type: ignore[attr-defined]
            self.run  # noqa: B018
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]


class PaymentRunView(PermissionMixin, RunMixin, TemplateView):
    permission = "finance.view_grants"
    template_name = "finance/payment_run.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        lines = list(
            self.run.lines.select_related("cluster", "payout").order_by("cluster__name", "id")
        )
        return {
            **super().get_context_data(**kwargs),
            "run": self.run,
            "lines": lines,
            "total": sum((line.amount for line in lines), start=0),
            "can_record": self.run.paid_on is None,
            "record_form": kwargs.get("record_form") or PaymentRunRecordForm(),
        }


class PaymentRunCsvView(PermissionMixin, RunMixin, View):
    """The payment list for the bank: one row per cluster with CVR, registration and
    account number, the amount and the reference on the transfer."""

    permission = "finance.view_grants"

    def get(self, request, pk):
        run = self.run
        header = [
            _("Cluster"),
            _("CVR number"),
            _("Registration number"),
            _("Account number"),
            _("Amount (kr.)"),
            _("Reference"),
            _("Grant year"),
        ]
        rows = [
            [
                line.cluster.name,
                line.cluster.cvr,
                line.cluster.bank_registration,
                line.cluster.bank_account,
                line.amount,
                line.reference,
                run.year,
            ]
            for line in run.lines.select_related("cluster").order_by("cluster__name", "id")
        ]
        return csv_response(header, rows, f"betalingsliste-{run.year}-{run.pk}.csv")


class PaymentRunCreateView(ServiceFormView):
    permission = "finance.record_payout"
    form_class = PaymentRunCreateForm
    page = GrantsView
    form_name = "run_form"

    def perform(self, form):
        on = today()
        self.created = runs.payment_run_create(
            actor=self.request.user,
            year=form.cleaned_data["year"],
            region=staff_scope(self.request.user, on),
            clusters=form.cleaned_data["clusters"],
            on=on,
        )
        n = self.created.lines.count()
        return ngettext(
            "The payment run is made: %(n)s payment. Download the payment list.",
            "The payment run is made: %(n)s payments. Download the payment list.",
            n,
        ) % {"n": n}

    def success_url(self) -> str:
        return reverse("finance:run", args=[self.created.pk])


class PaymentRunRecordView(RunMixin, ServiceFormView):
    permission = "finance.record_payout"
    form_class = PaymentRunRecordForm
    page = PaymentRunView
    form_name = "record_form"

    def perform(self, form):
        result = runs.payment_run_record(
            actor=self.request.user, run=self.run, paid_on=form.cleaned_data["paid_on"]
        )
        if result.already:
            return _(
                "The run was already recorded as paid on %(date)s; nothing was paid again."
            ) % {"date": format_date(result.run.paid_on)}
        return _("The run is recorded as paid on %(date)s.") % {
            "date": format_date(result.run.paid_on)
        }

    def success_url(self) -> str:
        return reverse("finance:run", args=[self.run.pk])


class PaymentRunDiscardView(RunMixin, ServiceFormView):
    permission = "finance.record_payout"
    page = PaymentRunView
    form_name = "discard_form"

    def post(self, request, *args, **kwargs):
        self.year = self.run.year
        return super().post(request, *args, **kwargs)

    def perform(self, form):
        runs.payment_run_discard(actor=self.request.user, run=self.run)
        return _("The payment run is deleted; its clusters can be paid in another run.")

    def success_url(self) -> str:
        return f"{reverse('finance:grants')}?aar={self.year}"
