from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.quality.models import Indicator


class OrderForm(forms.Form):
    indicators = forms.ModelMultipleChoiceField(
        label=_("Indicators"),
        queryset=Indicator.objects.filter(active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    description = forms.CharField(
        label=_("What you need"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    period_start = forms.DateField(
        label=_("Data from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Data to"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    anonymised = forms.BooleanField(label=_("Anonymised data"), required=False, initial=True)
    to_secretariat = forms.BooleanField(
        label=_("Order from the national secretariat instead of the regional unit"), required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("indicators") and not (data.get("description") or "").strip():
            raise forms.ValidationError(_("Choose indicators or describe the data you need."))
        return data


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the order declined?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class DeliverForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or Excel, like any import)"))


class MessageForm(forms.Form):
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 2}))


class ConsentForm(forms.Form):
    purpose = forms.CharField(max_length=100, widget=forms.HiddenInput)
