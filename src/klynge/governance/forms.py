"""Forms for governance pages. They parse input only; the rules (ranges, dates, the
document's type) are checked by `services.statutes_adopt`, the one place for them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.core.forms import DanishDateField
from klynge.registry.models import Doctor


def _number(attrs: dict[str, str]) -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "numeric", **attrs})


class StatutesForm(forms.Form):
    adopted = DanishDateField(label=_("Adopted by the general assembly on"))
    attendance_min_percent = forms.IntegerField(
        label=_("Minimum attendance at the year's meetings (%)"),
        required=False,
        help_text=_("Leave empty if the statutes set no minimum."),
        widget=_number({"min": "0", "max": "100"}),
    )
    notice_days = forms.IntegerField(
        label=_("Notice for general assemblies (days)"),
        initial=14,
        widget=_number({"min": "1", "max": "90"}),
    )
    quorum_percent = forms.IntegerField(
        label=_("Quorum: share of members present (%)"),
        required=False,
        help_text=_("Leave empty if the general assembly has a quorum however many attend."),
        widget=_number({"min": "0", "max": "100"}),
    )
    data_sharing_required = forms.BooleanField(
        label=_("Members must share their quality data in the cluster"),
        required=False,
        initial=True,
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    file = forms.FileField(
        label=_("The statutes as adopted (PDF, Word or OpenDocument)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.odt"}),
    )


class ElectionForm(forms.Form):
    """An election from the minutes of a general assembly (the role and the date are
    checked by `elections.election_record`; an empty start is the assembly's day)."""

    role = forms.CharField(required=False)
    doctor = forms.ModelChoiceField(queryset=Doctor.objects.all())
    start = DanishDateField(required=False)
