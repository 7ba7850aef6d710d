from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from klynge.packages.models import EhrSystem, Package
from klynge.quality.models import Indicator


def parse_agenda(text: str) -> list[dict[str, Any]]:
    """One agenda item a line: "Title | minutes | description" (minutes and description
    optional)."""
    items = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if not parts[0]:
            continue
        minutes = parts[1] if len(parts) > 1 else ""
        items.append(
            {
                "title": parts[0],
                "duration": int(minutes) if minutes.isdigit() else None,
                "description": parts[2] if len(parts) > 2 else "",
            }
        )
    return items


def agenda_text(agenda: list[dict[str, Any]]) -> str:
    lines = []
    for e in agenda:
        parts = [e["title"], str(e["duration"] or "")]
        if e.get("description"):
            parts.append(e["description"])
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


class VersionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    why = forms.CharField(
        label=_("Why it matters"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    summary = forms.CharField(
        label=_("Guideline summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    agenda = forms.CharField(
        label=_("Suggested meeting structure"),
        help_text=_("One item a line: title | minutes | description"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
    )
    indicators = forms.ModelMultipleChoiceField(
        label=_("Indicators"),
        queryset=Indicator.objects.filter(active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    lead_time_days = forms.IntegerField(
        label=_("Lead time for data (days)"), min_value=0, max_value=365
    )
    prerequisites = forms.CharField(
        label=_("Prerequisites"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    follow_up = forms.ModelChoiceField(
        label=_("Follow-up package"), queryset=Package.objects.all(), required=False
    )
    revision_date = forms.DateField(
        label=_("Revision date"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    reviewer = forms.CharField(label=_("Reviewer"), max_length=200, required=False)
    change_note = forms.CharField(label=_("What changed"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.systems = list(EhrSystem.objects.filter(active=True))
        for system in self.systems:
            self.fields[f"guide_{system.pk}"] = forms.CharField(
                label=_("Data extraction in %(system)s") % {"system": system.name},
                widget=forms.Textarea(attrs={"rows": 2}),
                required=False,
            )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["agenda"] = parse_agenda(data.get("agenda", ""))
        data["guides"] = {s: data.pop(f"guide_{s.pk}", "") for s in self.systems}
        return data

    @classmethod
    def initial_from(cls, version) -> dict[str, Any]:
        initial = {
            name: getattr(version, name)
            for name in ("title", "why", "summary", "lead_time_days", "prerequisites")
        } | {
            "agenda": agenda_text(version.agenda),
            "indicators": list(version.indicators.all()),
            "follow_up": version.follow_up,
            "revision_date": version.revision_date,
            "reviewer": version.reviewer,
            "change_note": version.change_note,
        }
        for guide in version.guides.all():
            initial[f"guide_{guide.system_id}"] = guide.text
        return initial


class PackageCreateForm(VersionForm):
    theme = forms.CharField(label=_("Theme"), max_length=100, help_text=_("e.g. nsaid, crp"))

    field_order = ["theme"]


class AdoptForm(forms.Form):
    meeting: forms.ModelChoiceField = forms.ModelChoiceField(
        label=_("Meeting"),
        queryset=None,  # type: ignore[arg-type]
    )
    period_start = forms.DateField(
        label=_("Data from"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    period_end = forms.DateField(
        label=_("Data to"), widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
    )
    anonymised = forms.BooleanField(label=_("Anonymised data"), required=False, initial=True)

    def __init__(self, *args: Any, meetings: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from klynge.meetings.models import Meeting

        field = self.fields["meeting"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = meetings if meetings is not None else Meeting.objects.none()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("period_start")
            and data.get("period_end")
            and data["period_end"] < data["period_start"]
        ):
            self.add_error("period_end", _("The period ends before it starts."))
        return data


class IdeaForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    theme = forms.CharField(label=_("Theme"), max_length=100, help_text=_("e.g. nsaid, crp"))
    problem = forms.CharField(label=_("The problem"), widget=forms.Textarea(attrs={"rows": 3}))
    data_description = forms.CharField(
        label=_("The data that shows it"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    indicators = forms.ModelMultipleChoiceField(
        label=_("Suggested indicators"),
        queryset=Indicator.objects.filter(active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    goal_indicator = forms.ModelChoiceField(
        label=_("Goal: indicator"), queryset=Indicator.objects.filter(active=True), required=False
    )
    goal_target = forms.FloatField(
        label=_("Goal: target"),
        help_text=_("A share as 0-1 (0.25 is 25 %), a rate per listed patient"),
        required=False,
        min_value=0,
    )
    agenda = forms.CharField(
        label=_("Suggested meeting structure"),
        help_text=_("One item a line: title | minutes | description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    contributor = forms.CharField(
        label=_("Contributed by"),
        max_length=200,
        help_text=_("e.g. DSAM, Region Midtjylland or your cluster"),
    )

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["agenda"] = parse_agenda(data.get("agenda", ""))
        return data


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is the idea not published?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class StoryForm(forms.Form):
    """A story's text and what it is about; the idea or package it came from is offered
    from the cluster's own project (what it adopted)."""

    title = forms.CharField(label=_("Title"), max_length=200)
    indicator = forms.ModelChoiceField(
        label=_("Indicator (its run chart goes into the story)"),
        queryset=Indicator.objects.none(),
    )
    body = forms.CharField(
        label=_("What we did and what we learned"), widget=forms.Textarea(attrs={"rows": 8})
    )
    idea = forms.ModelChoiceField(
        label=_("From the idea"), queryset=Package.objects.none(), required=False
    )
    package = forms.ModelChoiceField(
        label=_("From the package"), queryset=Package.objects.none(), required=False
    )

    def __init__(self, *args: Any, cluster: Any, with_source: bool = True, **kwargs: Any):
        from klynge.packages import stories

        super().__init__(*args, **kwargs)
        indicator_field = self.fields["indicator"]
        assert isinstance(indicator_field, forms.ModelChoiceField)
        indicator_field.queryset = Indicator.objects.filter(
            pk__in=stories.project_indicator_ids(cluster), active=True
        ).order_by("code")
        if with_source:
            idea_field, package_field = self.fields["idea"], self.fields["package"]
            assert isinstance(idea_field, forms.ModelChoiceField)
            assert isinstance(package_field, forms.ModelChoiceField)
            idea_field.queryset = stories.adopted_ideas(cluster)
            package_field.queryset = stories.adopted_packages(cluster)
        else:
            del self.fields["idea"], self.fields["package"]


class StoryReturnForm(forms.Form):
    note = forms.CharField(
        label=_("What should the cluster change?"), widget=forms.Textarea(attrs={"rows": 2})
    )


class PackageFileForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, Word, OpenDocument, Excel or PowerPoint)"))
