from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.registry.models import Region
from klynge.support.models import Audience


class NewsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    audience = forms.ChoiceField(label=_("For whom"), choices=Audience.choices)
    region = forms.ModelChoiceField(
        label=_("Region (for news to one region)"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("A regional unit always publishes to its own region."),
    )

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions if regions is not None else Region.objects.all()


class CourseForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    audience = forms.CharField(label=_("For whom"), max_length=200, required=False)
    description = forms.CharField(
        label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )


class SessionForm(forms.Form):
    starts = forms.DateTimeField(
        label=_("Starts"),
        widget=forms.DateTimeInput(attrs={"placeholder": "dd-mm-åååå tt:mm"}),
    )
    ends = forms.DateTimeField(
        label=_("Ends"),
        widget=forms.DateTimeInput(attrs={"placeholder": "dd-mm-åååå tt:mm"}),
    )
    place = forms.CharField(label=_("Place"), max_length=300)
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=1000)
