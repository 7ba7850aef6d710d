from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.core import identifiers
from klynge.core.forms import DanishDateField
from klynge.finance.models import Administration, ExpenseCategory, PaymentFrequency

EXPENSE_CHOICES = [
    *ExpenseCategory.choices,
    ("transport", _("Transport to meetings")),
    ("lost_earnings", _("Lost earnings for attending meetings")),
]


class AmountField(forms.CharField):
    """Kroner as people write them: `1.250,50`, `1250,50`, `327.800`."""

    def clean(self, value):
        value = super().clean(value)
        try:
            amount = identifiers.parse_amount(value)
        except ValueError as exc:
            raise forms.ValidationError(_("Write the amount in kroner, e.g. 1.250,50.")) from exc
        if amount <= 0:
            raise forms.ValidationError(_("The amount must be more than 0 kr."))
        return amount


class ExpenseForm(forms.Form):
    date = DanishDateField(label=_("Date"))
    text = forms.CharField(label=_("Text"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=EXPENSE_CHOICES)
    amount = AmountField(label=_("Amount (kr.)"))
    receipt = forms.FileField(label=_("Receipt"), required=False)


class ClaimForm(forms.Form):
    date = DanishDateField(label=_("Date of the expense"))
    text = forms.CharField(label=_("Text"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=EXPENSE_CHOICES)
    amount = AmountField(label=_("Amount (kr.)"))
    payee = forms.CharField(label=_("Pay to (name and account)"), max_length=200)
    receipt = forms.FileField(label=_("Receipt"))


class KeyedForm(forms.Form):
    """A payment form carries a token made when the page was drawn (`key`); the
    service books one payment per token, so a double click pays once."""

    key = forms.UUIDField(widget=forms.HiddenInput)


class PayoutRecordForm(KeyedForm):
    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2017, max_value=2100)
    amount = AmountField(label=_("Amount (kr.)"))
    paid_on = DanishDateField(label=_("Paid on"))


class ReasonForm(forms.Form):
    """A correction by reversal: the reason is required and stays in the books."""

    reason = forms.CharField(label=_("Reason"), max_length=200)


class FeePayForm(KeyedForm):
    pass


class OptionalAmountField(forms.CharField):
    """A budget amount: empty means no line; otherwise kroner, 0 or more."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "style": "max-width:9rem;margin:0"}),
        )
        super().__init__(**kwargs)

    def clean(self, value):
        value = super().clean(value)
        if not value.strip():
            return None
        try:
            amount = identifiers.parse_amount(value)
        except ValueError as exc:
            raise forms.ValidationError(_("Write the amount in kroner, e.g. 1.250,50.")) from exc
        if amount < 0:
            raise forms.ValidationError(_("Write budget amounts as positive numbers."))
        return amount


class BudgetForm(forms.Form):
    """The year's budget: one optional amount per account (`budget_<code>`)."""

    adopted_on = DanishDateField(label=_("Adopted by the general assembly on"))

    def __init__(self, *args, accounts=(), **kwargs):
        super().__init__(*args, **kwargs)
        for account in accounts:
            self.fields[f"budget_{account.code}"] = OptionalAmountField(
                label=f"{account.code} {account.name}"
            )

    def amounts(self) -> dict:
        return {
            name.removeprefix("budget_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("budget_") and value is not None
        }


class StatementForm(forms.Form):
    MAX_SIZE = 5 * 1024 * 1024
    statement = forms.FileField(
        label=_("Bank statement (CSV)"),
        error_messages={"required": _("Choose the bank statement file (CSV from the net bank).")},
    )

    def clean_statement(self):
        upload = self.cleaned_data["statement"]
        if upload.size > self.MAX_SIZE:
            raise forms.ValidationError(
                _("The bank statement is larger than 5 MB; export a shorter period.")
            )
        return upload


class DissolveForm(forms.Form):
    date = DanishDateField(label=_("Dissolved on"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "dissolve_%s")  # unique beside the expense form's ids
        super().__init__(*args, **kwargs)

    confirm = forms.BooleanField(
        label=_("The general assembly has decided to dissolve the cluster."),
        error_messages={
            "required": _(
                "Tick the box to confirm that the general assembly has dissolved the cluster."
            )
        },
    )


class ContractForm(forms.Form):
    recipient = forms.CharField(label=_("Recipient"), max_length=200)
    role = forms.CharField(label=_("Role"), max_length=100, initial="Klyngekoordinator")
    hourly_basis = AmountField(label=_("Hourly basis (kr.)"), initial="950")
    frequency = forms.ChoiceField(
        label=_("Paid"), choices=PaymentFrequency.choices, initial=PaymentFrequency.QUARTERLY
    )


class AdministrationForm(forms.Form):
    administration = forms.ChoiceField(choices=Administration.choices)


class ClaimDecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        error_messages={"required": _("Approve or reject the claim.")},
    )
    reason = forms.CharField(label=_("Reason for rejecting"), max_length=300, required=False)


class PaymentRunCreateForm(forms.Form):
    """The clusters chosen for a payment run (checkboxes on the grants page)."""

    year = forms.IntegerField(widget=forms.HiddenInput, min_value=2017, max_value=2100)
    clusters = forms.TypedMultipleChoiceField(
        label=_("Clusters to pay"), coerce=int, required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service decides which clusters are payable; the form only reads numbers.
        self.fields["clusters"].choices = [
            (v, v) for v in (self.data.getlist("clusters") if self.data else [])
        ]


class PaymentRunRecordForm(forms.Form):
    paid_on = DanishDateField(label=_("Paid by the bank on"))
