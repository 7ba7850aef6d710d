"""FIN-3/FIN-5: a cluster's books — balances, the year's income and expenses against
the budget, every transaction — and its writes: book an expense, adopt the budget,
import a bank statement, reverse a transaction, dissolve the cluster."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView, View

from klynge.core.dates import today
from klynge.core.downloads import file_response
from klynge.core.formatting import format_money
from klynge.core.permissions import has_perm
from klynge.core.views import ClusterMixin, ServiceFormView
from klynge.finance import accounts as fin_accounts
from klynge.finance import bank, ledger
from klynge.finance.forms import (
    BudgetForm,
    DissolveForm,
    ExpenseForm,
    ReasonForm,
    StatementForm,
)
from klynge.finance.models import (
    AccountKind,
    BooksClosure,
    Budget,
    BudgetLine,
    Entry,
    StatementImport,
    Transaction,
)
from klynge.finance.views.common import year_of


class BooksView(ClusterMixin, TemplateView):
    """The cluster's books. Each form on the page posts to its own write below."""

    permission = "finance.view_books"
    template_name = "finance/books.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        year = year_of(self.request)
        accounts = ledger.chart_of_accounts(cluster=self.cluster)
        balances = ledger.account_balances(cluster=self.cluster)
        year_totals = dict(
            Entry.objects.filter(account__cluster=self.cluster, transaction__date__year=year)
            .values("account__code")
            .annotate(total=Sum("amount"))
            .values_list("account__code", "total")
        )
        budget = {
            line.account.code: line.amount
            for line in BudgetLine.objects.filter(
                budget__cluster=self.cluster, budget__year=year
            ).select_related("account")
        }
        adopted = (
            Budget.objects.filter(cluster=self.cluster, year=year)
            .values_list("adopted_on", flat=True)
            .first()
        )
        ordered = [a for _code, a in sorted(accounts.items())]
        budget_form = kwargs.get("budget_form") or BudgetForm(
            accounts=[a for a in ordered if a.kind in (AccountKind.INCOME, AccountKind.EXPENSE)],
            initial={
                "adopted_on": adopted.strftime("%d-%m-%Y") if adopted else "",
                **{
                    f"budget_{code}": f"{amount:.2f}".replace(".", ",")
                    for code, amount in budget.items()
                },
            },
        )

        def rows(kind: str, sign: int) -> list[tuple]:
            return [
                (
                    a,
                    sign * year_totals.get(a.code, 0),
                    budget.get(a.code),
                    budget_form[f"budget_{a.code}"]
                    if f"budget_{a.code}" in budget_form.fields
                    else None,
                )
                for a in ordered
                if a.kind == kind
            ]

        income, expenses = rows(AccountKind.INCOME, -1), rows(AccountKind.EXPENSE, 1)
        return {
            **super().get_context_data(**kwargs),
            "year": year,
            "bank": balances.get("1000", 0),
            "income": income,
            "expenses": expenses,
            "income_total": sum((row[1] for row in income), start=0),
            "expense_total": sum((row[1] for row in expenses), start=0),
            "transactions": Transaction.objects.filter(cluster=self.cluster)
            .prefetch_related("entries__account")
            .select_related("reverses", "source")
            .order_by("-date", "-id")[:200],
            "form": kwargs.get("form")
            or ExpenseForm(initial={"date": today().strftime("%d-%m-%Y")}),
            "budget_form": budget_form,
            "statement_form": kwargs.get("statement_form") or StatementForm(),
            "dissolve_form": kwargs.get("dissolve_form") or DissolveForm(),
            "reverse_form": kwargs.get("reverse_form"),
            "can_manage": has_perm(self.request.user, "finance.manage_books", self.cluster),
            "closed": self.cluster.dissolved is not None,
            "closure": BooksClosure.objects.filter(cluster=self.cluster).first(),
            "imports": StatementImport.objects.filter(cluster=self.cluster).select_related(
                "imported_by"
            )[:10],
            "problems": ledger.books_check(cluster=self.cluster),
            "budget": budget,
            "budget_adopted": adopted,
        }


class BooksWriteView(ClusterMixin, ServiceFormView):
    """A write on the books page; a refusal re-renders that page."""

    permission = "finance.manage_books"
    page = BooksView

    def success_url(self) -> str:
        return reverse("finance:books", args=[self.cluster.slug])

    def form_invalid(self, form):
        # The page builds rows from the bound form (the budget's fields sit in the
        # table's rows), so it gets the form before it builds its context.
        self.kwargs[self.form_name] = form
        return super().form_invalid(form)


class ExpenseBookView(BooksWriteView):
    form_class = ExpenseForm
    form_name = "form"

    def perform(self, form):
        data = form.cleaned_data
        ledger.expense_record(
            actor=self.request.user,
            cluster=self.cluster,
            date=data["date"],
            text=data["text"],
            category=data["category"],
            amount=data["amount"],
            receipt=data["receipt"],
        )
        return _("The expense is booked.")


class BudgetAdoptView(BooksWriteView):
    """Adopt the year's budget (`?aar=`); one bad amount is shown on its own field and
    every other amount the user wrote stays in the form."""

    form_class = BudgetForm
    form_name = "budget_form"

    def get_form_kwargs(self) -> dict[str, Any]:
        accounts = ledger.chart_of_accounts(cluster=self.cluster)
        return {
            **super().get_form_kwargs(),
            "accounts": [
                a
                for _code, a in sorted(accounts.items())
                if a.kind in (AccountKind.INCOME, AccountKind.EXPENSE)
            ],
        }

    def perform(self, form):
        year = year_of(self.request)
        fin_accounts.budget_adopt(
            actor=self.request.user,
            cluster=self.cluster,
            year=year,
            amounts=form.amounts(),  # type: ignore[attr-defined]
            adopted_on=form.cleaned_data["adopted_on"],
        )
        return _("The budget for %(year)s is adopted.") % {"year": year}

    def success_url(self) -> str:
        return f"{super().success_url()}?aar={year_of(self.request)}"


class StatementImportView(BooksWriteView):
    form_class = StatementForm
    form_name = "statement_form"

    def perform(self, form):
        upload = form.cleaned_data["statement"]
        result = bank.statement_import(
            actor=self.request.user, cluster=self.cluster, data=upload.read(), filename=upload.name
        )
        return " ".join(
            [
                ngettext(
                    "Bank statement: %(n)s line booked.",
                    "Bank statement: %(n)s lines booked.",
                    result.booked,
                )
                % {"n": result.booked},
                ngettext("%(n)s was already booked.", "%(n)s were already booked.", result.skipped)
                % {"n": result.skipped},
                ngettext("%(n)s matched a grant.", "%(n)s matched grants.", result.matched)
                % {"n": result.matched},
            ]
        )


class EntryReverseView(BooksWriteView):
    """Correct a transaction by reversal, with the reason; both stay in the books."""

    form_class = ReasonForm
    form_name = "reverse_form"

    @cached_property
    def booked(self) -> Transaction:
        return get_object_or_404(Transaction, pk=self.kwargs["pk"], cluster=self.cluster)

    def perform(self, form):
        ledger.transaction_reverse(
            actor=self.request.user,
            booked=self.booked,
            date=today(),
            reason=form.cleaned_data["reason"],
        )
        return _("The transaction is reversed; both stay in the books.")


class DissolveView(BooksWriteView):
    """The general assembly has dissolved the cluster: the registry ends its
    memberships, participation and roles on the date, and finance returns the remaining
    funds to the region and closes the books — one transaction (`books_close`)."""

    form_class = DissolveForm
    form_name = "dissolve_form"

    def perform(self, form):
        with transaction.atomic():
            closure = fin_accounts.books_close(
                actor=self.request.user, cluster=self.cluster, on=form.cleaned_data["date"]
            )
        return _(
            "The cluster is dissolved; %(amount)s is returned to the region and the books are closed."
        ) % {"amount": format_money(closure.returned, 2)}

    def success_url(self) -> str:
        # The roles end with the dissolution: the books may no longer be the user's.
        return reverse("registry:cluster.detail", args=[self.cluster.slug])


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
