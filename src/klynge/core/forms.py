"""Form fields every domain uses: dates typed the Danish way, and "as of" dates."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.core.dates import today


class DanishDateField(forms.DateField):
    """Accepts `24-10-2019`, `24.10.2019`, `24/10/2019` and ISO (the locale's input
    formats) and explains the expected form when it cannot read the date."""

    default_error_messages = {"invalid": _("Write the date as day-month-year, e.g. 24-10-2019.")}

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.DateInput(attrs={"placeholder": _("dd-mm-yyyy"), "inputmode": "numeric"}),
        )
        super().__init__(**kwargs)


class AsOfField(DanishDateField):
    """ "As of" date for overviews: a date picker (ISO in the browser), also typed Danish."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("As of"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
        super().__init__(**kwargs)


class AsOfForm(forms.Form):
    """The date a dated page is shown as of (`?dato=`); empty or unreadable = today."""

    dato = AsOfField()

    def on(self) -> dt.date:
        if self.is_bound and self.is_valid() and self.cleaned_data.get("dato"):
            return self.cleaned_data["dato"]
        return today()
