"""Economy pages: grants and payouts for regions and the secretariat, a cluster's books
for its treasurer and coordinator."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from klynge.core import identifiers
from klynge.core.downloads import csv_response, file_response
from klynge.core.errors import DomainError
from klynge.core.permissions import has_perm
from klynge.core.views import PermissionMixin
from klynge.finance import accounts as fin_accounts
from klynge.finance import claims, ledger, selectors, services
from klynge.finance.forms import ClaimForm, ExpenseForm, PayoutForm
from klynge.finance.models import (
    AccountKind,
    Budget,
    BudgetLine,
    Entry,
    ExpenseClaim,
    FeeContract,
    Transaction,
)
from klynge.registry.forms import DanishDateField
from klynge.registry.models import Cluster
from klynge.registry.selectors import today
from klynge.registry.views import ClusterMixin


def _year(request) -> int:
    raw = request.GET.get("aar", "")
    return int(raw) if raw.isdigit() and 2017 <= int(raw) <= 2100 else today().year


def _region(user) -> int | None:
    return None if user.is_secretariat else user.region_id


def _amounts(post, prefix: str) -> dict[str, Any]:
    amounts = {}
    for key, value in post.items():
        if key.startswith(prefix) and value.strip():
            amounts[key.removeprefix(prefix)] = identifiers.parse_amount(value)
    return amounts


class GrantsView(PermissionMixin, TemplateView):
    """FIN-2: what each cluster of the region (the nation, for the secretariat) is due."""

    permission = "finance.view_grants"
    template_name = "finance/grants.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = _year(self.request)
        rows = selectors.grant_rows(year=year, region=_region(self.request.user))
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "years": list(range(today().year + 1, 2017, -1)),
            "rows": [(row, row.due_on(year)) for row in rows],
            "total": sum((r.grant.total for r in rows), start=0),
            "paid": sum((r.paid for r in rows), start=0),
            "incomplete": sum(1 for r in rows if r.first_payout is None),
            "today": today(),
        }


class GrantsCsvView(PermissionMixin, View):
    permission = "finance.view_grants"

    def get(self, request):
        year = _year(request)
        rows: list = []
        header = [
            "cluster",
            "region",
            "capacities",
            "patients_basis",
            "start_grant",
            "operating_grant",
            "supplementary_grant",
            "total",
            "first_payout",
            "due_on",
            "paid",
        ]
        for row in selectors.grant_rows(year=year, region=_region(request.user)):
            g = row.grant
            due_on = row.due_on(year)
            rows.append(
                [
                    row.cluster.name,
                    row.cluster.region.name,
                    g.capacities,
                    g.patients_basis,
                    g.start,
                    g.operating,
                    g.supplementary,
                    g.total,
                    row.first_payout.isoformat() if row.first_payout else "",
                    due_on.isoformat() if due_on else "",
                    row.paid,
                ]
            )
        return csv_response(header, rows, f"klyngetilskud-{year}.csv")


class PayoutCreateView(PermissionMixin, View):
    """A region marks a payout as made; it is booked as income in the cluster's books."""

    permission = "finance.view_grants"

    def post(self, request):
        form = PayoutForm(request.POST)
        if not form.is_valid():
            messages.error(request, "; ".join(e for errs in form.errors.values() for e in errs))
            return HttpResponseRedirect(reverse("finance:grants"))
        cluster = get_object_or_404(
            Cluster.objects.select_related("municipality__region"), pk=form.cleaned_data["cluster"]
        )
        if not has_perm(request.user, "finance.record_payout", cluster):
            raise Http404
        try:
            services.payout_record(
                actor=request.user,
                cluster=cluster,
                year=form.cleaned_data["year"],
                amount=form.cleaned_data["amount"],
                paid_on=form.cleaned_data["paid_on"],
            )
            messages.success(
                request, _("The payout to %(cluster)s is recorded.") % {"cluster": cluster.name}
            )
        except DomainError as error:
            messages.error(request, error.message)
        return HttpResponseRedirect(f"{reverse('finance:grants')}?aar={form.cleaned_data['year']}")


class _BooksActions:
    cluster: Cluster

    def _adopt_budget(self, request, slug):
        year = _year(request)
        try:
            adopted_on = DanishDateField().clean(request.POST.get("adopted_on", ""))
            fin_accounts.budget_adopt(
                actor=request.user,
                cluster=self.cluster,
                year=year,
                amounts=_amounts(request.POST, "budget_"),
                adopted_on=adopted_on,
            )
            messages.success(request, _("The budget for %(year)s is adopted.") % {"year": year})
        except ValueError:
            messages.error(request, _("Write the amounts in kroner, e.g. 1.250,50."))
        except (DomainError, ValidationError) as error:
            messages.error(request, getattr(error, "message", None) or "; ".join(error.messages))
        return HttpResponseRedirect(f"{reverse('finance:books', args=[slug])}?aar={year}")

    def _statement(self, request, slug):
        from klynge.finance import bank

        upload = request.FILES.get("statement")
        if upload is None:
            messages.error(request, _("Choose the bank statement file (CSV from the net bank)."))
        elif upload.size > 5 * 1024 * 1024:
            messages.error(
                request, _("The bank statement is larger than 5 MB; export a shorter period.")
            )
        else:
            try:
                result = bank.statement_import(
                    actor=request.user, cluster=self.cluster, data=upload.read()
                )
                messages.success(
                    request,
                    _(
                        "Bank statement: %(booked)s lines booked, %(skipped)s already booked, %(matched)s matched a grant."
                    )
                    % {
                        "booked": result.booked,
                        "skipped": result.skipped,
                        "matched": result.matched,
                    },
                )
            except DomainError as error:
                messages.error(request, error.message)
        return HttpResponseRedirect(reverse("finance:books", args=[slug]))

    def _dissolve(self, request, slug):
        if request.POST.get("confirm") != "yes":
            messages.error(
                request,
                _("Tick the box to confirm that the general assembly has dissolved the cluster."),
            )
            return HttpResponseRedirect(reverse("finance:books", args=[slug]))
        try:
            on = DanishDateField().clean(request.POST.get("date", ""))
            returned = fin_accounts.cluster_dissolve(
                actor=request.user, cluster=self.cluster, on=on
            )
            messages.success(
                request,
                _(
                    "The cluster is dissolved; %(amount)s kr. is returned to the region and the books are closed."
                )
                % {"amount": returned},
            )
        except (DomainError, ValidationError) as error:
            messages.error(request, getattr(error, "message", None) or "; ".join(error.messages))
        return HttpResponseRedirect(reverse("finance:books", args=[slug]))


class BooksView(_BooksActions, ClusterMixin, TemplateView):
    """FIN-3: the cluster's books: balances, the year's income and expenses, every
    transaction; record an expense (with receipt) or reverse a transaction."""

    permission = "finance.view_books"
    template_name = "finance/books.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = _year(self.request)
        accounts = ledger.chart_of_accounts(cluster=self.cluster)
        balances = ledger.account_balances(cluster=self.cluster)
        year_totals = dict(
            Entry.objects.filter(account__cluster=self.cluster, transaction__date__year=year)
            .values("account__code")
            .annotate(total=Sum("amount"))
            .values_list("account__code", "total")
        )
        income = [
            (a, -year_totals.get(code, 0))
            for code, a in sorted(accounts.items())
            if a.kind == AccountKind.INCOME
        ]
        expenses = [
            (a, year_totals.get(code, 0))
            for code, a in sorted(accounts.items())
            if a.kind == AccountKind.EXPENSE
        ]
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "bank": balances.get("1000", 0),
            "income": income,
            "expenses": expenses,
            "income_total": sum((v for _a, v in income), start=0),
            "expense_total": sum((v for _a, v in expenses), start=0),
            "transactions": Transaction.objects.filter(cluster=self.cluster)
            .prefetch_related("entries__account")
            .select_related("reverses")
            .order_by("-date", "-id")[:200],
            "form": kwargs.get("form")
            or ExpenseForm(initial={"date": today().strftime("%d-%m-%Y")}),
            "can_manage": has_perm(self.request.user, "finance.manage_books", self.cluster),
            "problems": ledger.books_check(cluster=self.cluster),
            "budget": {
                line.account.code: line.amount
                for line in BudgetLine.objects.filter(
                    budget__cluster=self.cluster, budget__year=year
                ).select_related("account")
            },
            "budget_adopted": Budget.objects.filter(cluster=self.cluster, year=year)
            .values_list("adopted_on", flat=True)
            .first(),
        }

    def post(self, request, slug):
        if not has_perm(request.user, "finance.manage_books", self.cluster):
            raise Http404
        if request.POST.get("action") == "budget":
            return self._adopt_budget(request, slug)
        if request.POST.get("action") == "dissolve":
            return self._dissolve(request, slug)
        if request.POST.get("action") == "statement":
            return self._statement(request, slug)
        if "reverse" in request.POST:
            booked = get_object_or_404(
                Transaction, pk=request.POST.get("reverse"), cluster=self.cluster
            )
            try:
                ledger.transaction_reverse(
                    actor=request.user,
                    booked=booked,
                    date=today(),
                    reason=request.POST.get("reason", "").strip() or _("correction"),
                )
                messages.success(request, _("The transaction is reversed; both stay in the books."))
            except DomainError as error:
                messages.error(request, error.message)
            return HttpResponseRedirect(reverse("finance:books", args=[slug]))
        form = ExpenseForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                ledger.expense_record(
                    actor=request.user,
                    cluster=self.cluster,
                    date=data["date"],
                    text=data["text"],
                    category=data["category"],
                    amount=data["amount"],
                    receipt=data["receipt"],
                )
                messages.success(request, _("The expense is booked."))
                return HttpResponseRedirect(reverse("finance:books", args=[slug]))
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        return self.render_to_response(self.get_context_data(form=form))


class AnnualAccountsPdfView(ClusterMixin, View):
    """The annual accounts as a PDF for the general assembly and an accountant."""

    permission = "finance.view_annual_accounts"

    def get(self, request, slug, year: int):
        accounts = fin_accounts.annual_accounts(cluster=self.cluster, year=year)
        return file_response(
            fin_accounts.annual_accounts_pdf(accounts),
            f"{self.cluster.slug}-aarsregnskab-{year}.pdf",
            inline=True,
        )


class FeesView(ClusterMixin, TemplateView):
    permission = "finance.view_books"
    template_name = "finance/fees.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "contracts": FeeContract.objects.filter(cluster=self.cluster),
            "year": _year(self.request),
            "can_manage": has_perm(self.request.user, "finance.manage_books", self.cluster),
        }

    def post(self, request, slug):
        if not has_perm(request.user, "finance.manage_books", self.cluster):
            raise Http404
        try:
            if "pay" in request.POST:
                contract = get_object_or_404(
                    FeeContract, pk=request.POST["pay"], cluster=self.cluster
                )
                payment = fin_accounts.fee_pay(
                    actor=request.user, contract=contract, paid_on=today()
                )
                messages.success(
                    request,
                    _("%(amount)s kr. is booked as paid to %(recipient)s.")
                    % {"amount": payment.amount, "recipient": contract.recipient},
                )
            else:
                try:
                    basis = identifiers.parse_amount(request.POST.get("hourly_basis", ""))
                except ValueError as exc:
                    raise DomainError(_("Write the hourly basis in kroner, e.g. 950.")) from exc
                fin_accounts.contract_create(
                    actor=request.user,
                    cluster=self.cluster,
                    recipient=request.POST.get("recipient", ""),
                    role=request.POST.get("role", ""),
                    hourly_basis=basis,
                    start=today(),
                    frequency=request.POST.get("frequency", "quarterly"),
                )
                messages.success(request, _("The contract is created."))
        except DomainError as error:
            messages.error(request, error.message)
        return HttpResponseRedirect(reverse("finance:fees", args=[slug]))


class FeeReportView(ClusterMixin, View):
    """FIN-4: fees paid per recipient in a year, as CSV or PDF, for the tax authority."""

    permission = "finance.view_books"

    def get(self, request, slug, year: int, fmt: str):
        rows = fin_accounts.fee_report(year=year, cluster=self.cluster)
        if fmt == "pdf":
            from weasyprint import HTML

            html = render_to_string(
                "finance/fee_report.html", {"rows": rows, "year": year, "cluster": self.cluster}
            )
            response = HttpResponse(HTML(string=html).write_pdf(), content_type="application/pdf")
        elif fmt == "csv":
            response = csv_response(["recipient", "fees_paid"], rows, "")
        else:
            raise Http404
        response["Content-Disposition"] = (
            f'attachment; filename="{self.cluster.slug}-honorarer-{year}.{fmt}"'
        )
        return response


class ClaimsView(ClusterMixin, TemplateView):
    """Central administration: the cluster claims its expenses with receipts."""

    permission = "finance.view_books"
    template_name = "finance/claims.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "claims": ExpenseClaim.objects.filter(cluster=self.cluster),
            "form": kwargs.get("form") or ClaimForm(initial={"date": today().strftime("%d-%m-%Y")}),
            "can_manage": has_perm(self.request.user, "finance.manage_books", self.cluster),
            "administration": claims.administration_of(self.cluster),
            "can_set_administration": has_perm(self.request.user, "finance.decide_claims"),
        }

    def post(self, request, slug):
        if request.POST.get("administration") and has_perm(request.user, "finance.decide_claims"):
            claims.administration_set(
                actor=request.user,
                cluster=self.cluster,
                administration=request.POST["administration"],
            )
            messages.success(request, _("The administration of the cluster's funds is changed."))
            return HttpResponseRedirect(reverse("finance:claims", args=[slug]))
        if not has_perm(request.user, "finance.manage_books", self.cluster):
            raise Http404
        form = ClaimForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                claims.claim_submit(actor=request.user, cluster=self.cluster, **form.cleaned_data)
                messages.success(request, _("The claim is sent to the secretariat."))
                return HttpResponseRedirect(reverse("finance:claims", args=[slug]))
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
        return self.render_to_response(self.get_context_data(form=form))


class ClaimQueueView(PermissionMixin, TemplateView):
    """The secretariat approves or rejects claims with a reason, and pays approved ones."""

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
        }

    def post(self, request):
        claim = get_object_or_404(ExpenseClaim, pk=request.POST.get("claim"))
        action = request.POST.get("action")
        try:
            if action == "pay":
                claims.claim_pay(actor=request.user, claim=claim, paid_on=today())
            else:
                claims.claim_decide(
                    actor=request.user,
                    claim=claim,
                    approve=action == "approve",
                    reason=request.POST.get("reason", ""),
                )
            messages.success(request, _("The claim is updated."))
        except DomainError as error:
            messages.error(request, error.message)
        return HttpResponseRedirect(reverse("finance:claims.queue"))


class ClaimReceiptView(PermissionMixin, View):
    permission = "finance.decide_claims"

    def get(self, request, pk: int):
        claim = get_object_or_404(ExpenseClaim, pk=pk)
        return FileResponse(
            claim.receipt.open("rb"),
            as_attachment=True,
            filename=claim.receipt.name.rsplit("/", 1)[-1],
        )
