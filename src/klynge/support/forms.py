from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.meetings.agendas import TEMPLATES
from klynge.meetings.forms import MeetingTimeForm
from klynge.registry.models import Municipality, Region
from klynge.support.models import Audience, InquirerKind


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


class InquiryForm(forms.Form):
    organisation = forms.CharField(label=_("Organisation"), max_length=200)
    kind = forms.ChoiceField(label=_("Type of organisation"), choices=InquirerKind.choices)
    contact_name = forms.CharField(label=_("Contact person"), max_length=200)
    email = forms.EmailField(label=_("E-mail"))
    proposal = forms.CharField(
        label=_("What do you propose?"), widget=forms.Textarea(attrs={"rows": 6})
    )
    region = forms.ModelChoiceField(
        label=_("Region (if any)"), queryset=Region.objects.all(), required=False
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality (if any)"), queryset=Municipality.objects.all(), required=False
    )
    theme = forms.CharField(label=_("Theme"), max_length=200, required=False)
    min_doctors = forms.IntegerField(
        label=_("Clusters with at least this many doctors"), min_value=1, required=False
    )
    timeframe = forms.CharField(label=_("Time frame"), max_length=200, required=False)
    # A honeypot: hidden from people, filled in by form-filling robots.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("Leave this field empty."))
        return ""


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=(("approve", _("Approve")), ("decline", _("Decline"))),
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason for declining (the inquirer sees it)"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
    )


class CommitteeDecisionForm(DecisionForm):
    meeting = forms.DateField(
        label=_("Date of the committee meeting"),
        widget=forms.DateInput(attrs={"placeholder": "dd-mm-åååå", "inputmode": "numeric"}),
    )


class NetworkMessageForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}))


class SeatReservationForm(forms.Form):
    """Seats of a session held for one region until a time (★)."""

    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.regions())
    seats = forms.IntegerField(label=_("Seats"), min_value=1, max_value=1000)
    until = forms.DateTimeField(
        label=_("Reserved until"),
        widget=forms.DateTimeInput(attrs={"placeholder": "dd-mm-åååå tt:mm"}),
    )


class NetworkMeetingForm(MeetingTimeForm):
    """A network meeting's plan: the fields of a cluster meeting's plan that a network
    has (no host in turn, no guest clusters, no meeting pack)."""

    def planning_fields(self) -> dict:
        d = self.cleaned_data
        return {k: d[k] for k in ("title", "starts", "ends", "place", "video_url")}


class NewNetworkMeetingForm(NetworkMeetingForm):
    template = forms.ChoiceField(
        label=_("Agenda from template"),
        choices=[("", _("None: build the agenda by hand"))]
        + [(k, label) for k, (label, _items) in TEMPLATES.items()],
        required=False,
    )


class NetworkDecisionForm(forms.Form):
    """A decision in a network meeting's minutes (not drawn on a cluster's charts)."""

    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 2}))
