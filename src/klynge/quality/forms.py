from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.core.forms import DanishDateField

WINDOWS = [(1, _("1 month")), (3, _("3 months (quarter)")), (12, _("12 months"))]
TARGETS = [("cluster", _("the cluster")), ("region", _("the region")), ("nation", _("the nation"))]


class BenchmarkForm(forms.Form):
    slut = forms.CharField(required=False)  # YYYY-MM, the last month of the window
    vindue = forms.TypedChoiceField(
        choices=WINDOWS, coerce=int, required=False, empty_value=None, label=_("Period")
    )
    maal = forms.ChoiceField(choices=TARGETS, required=False, label=_("Compare with"))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (CSV or XLSX)"))


class GoalForm(forms.Form):
    target = forms.DecimalField(
        label=_("Target"),
        min_value=0,
        max_digits=8,
        decimal_places=2,
        help_text=_("In percent for shares, per 1,000 for rates."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].localize = True
        self.fields["target"].widget.is_localized = True


class InterventionForm(forms.Form):
    date = DanishDateField(label=_("Date of the change"))
    text = forms.CharField(label=_("What the cluster changed"), max_length=300)
    meeting_ref = forms.CharField(label=_("Decided at (meeting)"), max_length=200, required=False)
