"""FIN-2: what each cluster is due, and the payouts the region records (or reverses)."""

from __future__ import annotations

import uuid
from functools import cached_property
from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.dates import today
from klynge.core.downloads import csv_response
from klynge.core.formatting import format_money
from klynge.core.forms import AsOfForm
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, PermissionMixin, ServiceFormView
from klynge.finance import runs, selectors, services
from klynge.finance.forms import PayoutRecordForm, ReasonForm
from klynge.finance.models import Payout
from klynge.finance.views.common import year_of
from klynge.registry.selectors import staff_scope


def _region(user, on) -> int | None:
    """The secretariat sees the nation; regional staff their region as of `on` (the
    region in force then: Region Østdanmark from 1 January 2027 for the staff of
    Hovedstaden and Sjælland)."""
    region = staff_scope(user, on)
    return region.pk if region else None


class GrantsView(PermissionMixin, TemplateView):
    """What each cluster of the region (the nation, for the secretariat) is due, what is
    paid, and the year's payouts with their reversals."""

    permission = "finance.view_grants"
    template_name = "finance/grants.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = year_of(self.request)
        as_of = AsOfForm(self.request.GET or None)
        on = as_of.on()
        region = _region(self.request.user, on)
        rows = selectors.grant_rows(year=year, region=region, on=on)
        day = today()
        may_pay = has_perm(self.request.user, "finance.record_payout")
        cluster_ids = [r.cluster.pk for r in rows]
        payouts = (
            Payout.objects.filter(year=year, cluster_id__in=cluster_ids)
            .select_related("cluster", "reverses", "payer")
            .prefetch_related("reversed_by")
            .order_by("cluster__name", "paid_on", "id")
        )
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "as_of": as_of,
            "on": on,
            "years": list(range(today().year + 1, 2017, -1)),
            "rows": [(row, row.due_on(year)) for row in rows],
            "total": sum((r.grant.total for r in rows), start=0),
            "paid": sum((r.paid for r in rows), start=0),
            "incomplete": sum(1 for r in rows if r.first_payout is None),
            "today": today(),
            "payouts": payouts,
            "can_record": {
                r.cluster.pk
                for r in rows
                if has_perm(self.request.user, "finance.record_payout", r.cluster)
            },
            "new_key": uuid.uuid4,  # called by the template once per form
            # The payment run: the grants due today, of the user's region as it is today.
            "payable": runs.payable(year=year, region=_region(self.request.user, day), on=day)
            if may_pay
            else [],
            "runs": runs.runs_for(user=self.request.user, year=year, on=day),
            "may_pay": may_pay,
            "run_form": kwargs.get("run_form"),
        }


class GrantsCsvView(PermissionMixin, View):
    permission = "finance.view_grants"

    def get(self, request):
        year = year_of(request)
        on = AsOfForm(request.GET or None).on()
        rows: list = []
        header = [
            _("Cluster"),
            _("Region"),
            _("Capacities"),
            _("Patients (basis)"),
            _("Start grant (kr.)"),
            _("Operating grant (kr.)"),
            _("Supplementary grant (kr.)"),
            _("Total (kr.)"),
            _("First payout"),
            _("Due on"),
            _("Paid (kr.)"),
            _("Returned (kr.)"),
        ]
        for row in selectors.grant_rows(year=year, region=_region(request.user, on), on=on):
            g = row.grant
            due_on = row.due_on(year)
            rows.append(
                [
                    row.cluster.name,
                    row.region.name if row.region else "",
                    g.capacities,
                    g.patients_basis,
                    g.start,
                    g.operating,
                    g.supplementary,
                    g.total,
                    row.first_payout,
                    due_on,
                    row.paid,
                    row.returned,
                ]
            )
        return csv_response(header, rows, f"klyngetilskud-{year}.csv")


class PayoutRecordView(ClusterMixin, ServiceFormView):
    """A region marks a payout to one of its clusters as made; it is booked as income."""

    permission = "finance.record_payout"
    form_class = PayoutRecordForm
    page = GrantsView
    form_name = "payout_form"

    def perform(self, form):
        data = form.cleaned_data
        services.payout_record(
            actor=self.request.user,
            cluster=self.cluster,
            year=data["year"],
            amount=data["amount"],
            paid_on=data["paid_on"],
            key=data["key"],
        )
        return _("%(amount)s to %(cluster)s is recorded as paid.") % {
            "amount": format_money(data["amount"], 2),
            "cluster": self.cluster.name,
        }

    def success_url(self) -> str:
        return f"{reverse('finance:grants')}?aar={self.request.POST.get('year', '')}"


class PayoutReverseView(ServiceFormView):
    """Correct a mistaken payout by reversal, with the reason."""

    permission = "finance.record_payout"
    form_class = ReasonForm
    page = GrantsView
    form_name = "reverse_form"

    @cached_property
    def payout(self) -> Payout:
        return get_object_or_404(
            Payout.objects.select_related("cluster__municipality", "booking"),
            pk=self.kwargs["pk"],
        )

    def get_permission_object(self):
        return self.payout.cluster

    def perform(self, form):
        services.payout_reverse(
            actor=self.request.user,
            payout=self.payout,
            on=today(),
            reason=form.cleaned_data["reason"],
        )
        return _("The payout is reversed; both stay in the books.")

    def success_url(self) -> str:
        return f"{reverse('finance:grants')}?aar={self.payout.year}"
