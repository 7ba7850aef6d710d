"""Central administration: a cluster claims its expenses with receipts; the
secretariat approves or rejects them with a reason, and pays approved ones."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core.dates import today
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, PermissionMixin, ServiceFormView
from klynge.finance import claims
from klynge.finance.forms import AdministrationForm, ClaimDecideForm, ClaimForm
from klynge.finance.models import ExpenseClaim


class ClaimsView(ClusterMixin, TemplateView):
    permission = "finance.view_books"
    template_name = "finance/claims.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "claims": ExpenseClaim.objects.filter(cluster=self.cluster),
            "form": kwargs.get("form") or ClaimForm(initial={"date": today().strftime("%d-%m-%Y")}),
            "can_manage": has_perm(self.request.user, "finance.manage_books", self.cluster),
            "administration": claims.administration_of(self.cluster),
            "can_set_administration": has_perm(
                self.request.user, "finance.decide_claims", self.cluster
            ),
        }


class ClaimsWriteView(ClusterMixin, ServiceFormView):
    page = ClaimsView

    def success_url(self) -> str:
        return reverse("finance:claims", args=[self.cluster.slug])


class ClaimSubmitView(ClaimsWriteView):
    permission = "finance.manage_books"
    form_class = ClaimForm
    form_name = "form"

    def perform(self, form):
        claims.claim_submit(actor=self.request.user, cluster=self.cluster, **form.cleaned_data)
        return _("The claim is sent to the secretariat.")


class AdministrationSetView(ClaimsWriteView):
    """The secretariat decides how the cluster's funds are held."""

    permission = "finance.decide_claims"
    form_class = AdministrationForm
    form_name = "administration_form"

    def perform(self, form):
        claims.administration_set(
            actor=self.request.user,
            cluster=self.cluster,
            administration=form.cleaned_data["administration"],
        )
        return _("The administration of the cluster's funds is changed.")


class ClaimQueueView(PermissionMixin, TemplateView):
    """The secretariat's queue: approve or reject claims with a reason, pay approved ones."""

    permission = "finance.decide_claims"
    template_name = "finance/claim_queue.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "open": ExpenseClaim.objects.filter(
                status__in=["submitted", "approved"]
            ).select_related("cluster"),
            "done": ExpenseClaim.objects.filter(status__in=["rejected", "paid"]).select_related(
                "cluster"
            )[:50],
            "decide_form": kwargs.get("decide_form"),
        }


class ClaimWriteView(ServiceFormView):
    permission = "finance.decide_claims"
    page = ClaimQueueView

    @cached_property
    def claim(self) -> ExpenseClaim:
        return get_object_or_404(
            ExpenseClaim.objects.select_related("cluster"), pk=self.kwargs["pk"]
        )

    def success_url(self) -> str:
        return reverse("finance:claims.queue")


class ClaimDecideView(ClaimWriteView):
    form_class = ClaimDecideForm
    form_name = "decide_form"

    def perform(self, form):
        claims.claim_decide(
            actor=self.request.user,
            claim=self.claim,
            approve=form.cleaned_data["decision"] == "approve",
            reason=form.cleaned_data["reason"],
        )
        return _("The claim is updated.")


class ClaimPayView(ClaimWriteView):
    def perform(self, form):
        claims.claim_pay(actor=self.request.user, claim=self.claim, paid_on=today())
        return _("The claim is paid and booked.")


class ClaimReceiptView(PermissionMixin, View):
    permission = "finance.decide_claims"

    def get(self, request, pk: int):
        claim = get_object_or_404(ExpenseClaim, pk=pk)
        return FileResponse(
            claim.receipt.open("rb"),
            as_attachment=True,
            filename=claim.receipt.name.rsplit("/", 1)[-1],
        )
