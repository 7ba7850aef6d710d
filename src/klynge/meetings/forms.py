"""Forms of the meeting pages: they parse input; the services hold the rules."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from klynge.core import identifiers
from klynge.core.forms import DanishDateField
from klynge.meetings.agendas import TEMPLATES
from klynge.meetings.models import Guest, HostModel, MeetingKind
from klynge.quality.models import Indicator
from klynge.registry.models import Cluster, Doctor
from klynge.registry.selectors import in_region, region_of

TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def _same_region(cluster: Cluster) -> Q:
    """Clusters in `cluster`'s region today (regions are dated: the 2027 reform)."""
    on = timezone.localdate()
    region = region_of(cluster.municipality_id, on)
    return in_region(region, on) if region is not None else Q(pk__in=[])


def _choices(form: forms.Form, name: str, queryset: QuerySet) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ModelChoiceField)
    field.queryset = queryset


def _combine(day: dt.date, time: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, time), timezone.get_default_timezone())


class MeetingTimeForm(forms.Form):
    """What every meeting's plan has, a cluster's or a network's: a title, a day with
    its start (and end) time, a place and a video link. `clean` gives `starts` and
    `ends` in the site's time zone."""

    title = forms.CharField(label=_("Title"), max_length=200)
    day = DanishDateField(label=_("Date"), required=False)
    start_time = forms.TimeField(label=_("From"), required=False, widget=TIME_WIDGET)
    end_time = forms.TimeField(label=_("To"), required=False, widget=TIME_WIDGET)
    place = forms.CharField(label=_("Place"), max_length=300, required=False)
    video_url = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")

    def clean(self):
        data = super().clean()
        day, start, end = data.get("day"), data.get("start_time"), data.get("end_time")
        data["starts"] = data["ends"] = None
        if day:
            if not start:
                self.add_error("start_time", _("Give the time the meeting starts."))
                return data
            data["starts"] = _combine(day, start)
            if end:
                data["ends"] = _combine(day, end)
        return data


class MeetingForm(MeetingTimeForm):
    field_order = ["title", "kind", "day", "start_time", "end_time", "place", "video_url"]

    kind = forms.ChoiceField(label=_("Type"), choices=MeetingKind.choices)
    day = DanishDateField(
        label=_("Date"), required=False, help_text=_("Leave empty to find a date with a poll.")
    )
    catering = forms.CharField(label=_("Catering"), max_length=300, required=False)
    host_model = forms.ChoiceField(label=_("Planned by"), choices=HostModel.choices)
    host = forms.ModelChoiceField(label=_("Host"), queryset=Doctor.objects.none(), required=False)
    guest_clusters = forms.ModelMultipleChoiceField(
        label=_("Other clusters (joint meeting)"),
        queryset=Cluster.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )
    indicators = forms.ModelMultipleChoiceField(
        label=_("Indicators for the meeting pack"),
        queryset=Indicator.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, cluster: Cluster, doctors: list[Doctor], **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "host", Doctor.objects.filter(pk__in=[d.pk for d in doctors]))
        _choices(
            self,
            "guest_clusters",
            Cluster.objects.filter(_same_region(cluster))
            .exclude(pk=cluster.pk)
            .filter(dissolved__isnull=True),
        )

    def planning_fields(self) -> dict:
        d = self.cleaned_data
        return {
            "title": d["title"],
            "kind": d["kind"],
            "starts": d["starts"],
            "ends": d["ends"],
            "place": d["place"],
            "video_url": d["video_url"],
            "catering": d["catering"],
            "host_model": d["host_model"],
            "host": d["host"],
        }


class NewMeetingForm(MeetingForm):
    template = forms.ChoiceField(
        label=_("Agenda from template"),
        choices=[("", _("None: build the agenda by hand"))]
        + [(k, label) for k, (label, _items) in TEMPLATES.items()],
        required=False,
        initial="ordinary",
    )
    invite = forms.BooleanField(
        label=_("Invite the members now (if the date is set)"), required=False, initial=True
    )


class SpeakerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    organisation = forms.CharField(label=_("Organisation"), max_length=200, required=False)
    topic = forms.CharField(label=_("Topic"), max_length=300, required=False)
    fee = forms.CharField(label=_("Agreed fee (kr.)"), required=False)

    def clean_fee(self):
        raw = self.cleaned_data["fee"].strip()
        return identifiers.parse_amount(raw) if raw else 0


class SlotForm(forms.Form):
    day = DanishDateField(label=_("Date"))
    start_time = forms.TimeField(label=_("From"), widget=TIME_WIDGET)
    end_time = forms.TimeField(label=_("To"), widget=TIME_WIDGET)

    def clean(self):
        data = super().clean()
        if data.get("day") and data.get("start_time") and data.get("end_time"):
            data["starts"] = _combine(data["day"], data["start_time"])
            data["ends"] = _combine(data["day"], data["end_time"])
            if data["ends"] <= data["starts"]:
                self.add_error("end_time", _("The meeting must end after it starts."))
        return data


def _yes(value: str) -> bool:
    return value == "yes"


class RsvpForm(forms.Form):
    """ "Jeg kommer / jeg kommer ikke": `coming` is "yes" or "no" (the two buttons of one
    form carry it)."""

    coming = forms.TypedChoiceField(
        choices=[("yes", _("I am coming")), ("no", _("I am not coming"))],
        coerce=_yes,
        error_messages={
            "required": _("Say whether you are coming."),
            "invalid_choice": _("Say whether you are coming."),
        },
    )


class ItemForm(forms.Form):
    title = forms.CharField(label=_("Item"), max_length=200)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Doctor.objects.none(), required=False)
    duration = forms.IntegerField(
        label=_("Time (minutes)"), min_value=1, max_value=600, required=False
    )

    def __init__(self, *args, doctors: list[Doctor], **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "owner", Doctor.objects.filter(pk__in=[d.pk for d in doctors]))


class ItemEditForm(ItemForm):
    """An existing item's fields; `auto_id` carries the item so several of these
    forms on the agenda page keep their labels apart."""

    follow_up = forms.BooleanField(
        label=_("List the open actions from earlier meetings under this item"), required=False
    )


class GuestForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=Guest.Kind.choices)
    organisation = forms.CharField(
        label=_("Clinic or organisation"), max_length=200, required=False
    )


class ActionForm(forms.Form):
    text = forms.CharField(label=_("Action"), max_length=300)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=Doctor.objects.none(), required=False)
    due = DanishDateField(label=_("Due"), required=False)

    def __init__(self, *args, doctors: list[Doctor], **kwargs):
        super().__init__(*args, **kwargs)
        _choices(self, "owner", Doctor.objects.filter(pk__in=[d.pk for d in doctors]))


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), widget=forms.Textarea(attrs={"rows": 2}))
    indicator = forms.ModelChoiceField(
        label=_("Changes practice on indicator (shown on its charts)"),
        queryset=Indicator.objects.all(),
        required=False,
    )


class EvaluationForm(forms.Form):
    SCALE = [(i, str(i)) for i in range(1, 6)]
    relevance = forms.TypedChoiceField(
        label=_("How relevant was the meeting to your practice?"),
        choices=SCALE,
        coerce=int,
        widget=forms.RadioSelect,
    )
    learning = forms.TypedChoiceField(
        label=_("How much did you learn?"), choices=SCALE, coerce=int, widget=forms.RadioSelect
    )
    organisation = forms.TypedChoiceField(
        label=_("How well was the meeting organised?"),
        choices=SCALE,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional, anonymous)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AnnouncementForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 6}))
