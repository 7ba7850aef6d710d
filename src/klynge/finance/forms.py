from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.core import identifiers
from klynge.finance.models import ExpenseCategory
from klynge.registry.forms import DanishDateField

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


class PayoutForm(forms.Form):
    cluster = forms.IntegerField(widget=forms.HiddenInput)
    year = forms.IntegerField(widget=forms.HiddenInput)
    amount = AmountField(label=_("Amount (kr.)"))
    paid_on = DanishDateField(label=_("Paid on"))


class ClaimForm(forms.Form):
    date = DanishDateField(label=_("Date of the expense"))
    text = forms.CharField(label=_("Text"), max_length=200)
    category = forms.ChoiceField(label=_("Category"), choices=EXPENSE_CHOICES)
    amount = AmountField(label=_("Amount (kr.)"))
    payee = forms.CharField(label=_("Pay to (name and account)"), max_length=200)
    receipt = forms.FileField(label=_("Receipt"))
