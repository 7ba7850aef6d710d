"""Registry forms: parse and validate input with clear Danish messages; services
decide the domain rules."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from klynge.core import validators
from klynge.core.dates import today
from klynge.core.forms import AsOfField, DanishDateField
from klynge.registry.models import Clinic, Cluster, Doctor, Municipality, Region, RoleKind

MONTHS = [
    (i, _(m))
    for i, m in enumerate(
        [
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ],
        start=1,
    )
]


class ClusterForm(forms.ModelForm):
    founded = DanishDateField(label=_("Founded (date of the founding general assembly)"))
    fiscal_year_start_month = forms.TypedChoiceField(
        label=_("Fiscal year starts in"), choices=MONTHS, coerce=int, initial=1
    )
    cvr = forms.CharField(
        label=_("CVR number"), required=False, help_text=_("8 digits; can be added later.")
    )
    bank_registration = forms.CharField(
        label=_("Bank registration number"), required=False, max_length=8
    )
    bank_account = forms.CharField(label=_("Account number"), required=False, max_length=14)
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.order_by("name"),
    )

    class Meta:
        model = Cluster
        fields = [
            "name",
            "municipality",
            "founded",
            "cvr",
            "bank_registration",
            "bank_account",
            "fiscal_year_start_month",
        ]

    def clean_cvr(self):
        value = self.cleaned_data["cvr"].strip()
        return validators.clean_organisation_number(value) if value else ""

    def clean_bank_registration(self):
        value = self.cleaned_data["bank_registration"].strip()
        return validators.clean_bank_registration(value) if value else ""

    def clean_bank_account(self):
        value = self.cleaned_data["bank_account"].strip()
        return validators.clean_bank_account(value) if value else ""

    def clean(self):
        data = super().clean()
        if bool(data.get("bank_registration")) != bool(data.get("bank_account")):
            raise forms.ValidationError(
                _("Give both the bank registration number and the account number.")
            )
        return data


class DatedForm(forms.Form):
    date = DanishDateField(label=_("Date"))


class ClinicJoinForm(forms.Form):
    provider_number = forms.CharField(label=_("Provider number (ydernummer)"), max_length=8)
    start = DanishDateField(label=_("Member from"))
    with_doctors = forms.BooleanField(
        label=_("All the clinic's doctors take part from the same date"),
        required=False,
        initial=True,
    )

    def clean_provider_number(self):
        number = validators.clean_provider_number(self.cleaned_data["provider_number"])
        try:
            self.clinic = Clinic.objects.get(provider_number=number)
        except Clinic.DoesNotExist as exc:
            raise forms.ValidationError(
                _(
                    "No clinic with provider number %(n)s is registered. Add it below as a new clinic."
                )
                % {"n": number}
            ) from exc
        return number


class ClinicCreateForm(forms.Form):
    provider_number = forms.CharField(label=_("Provider number (ydernummer)"), max_length=8)
    name = forms.CharField(label=_("Clinic name"), max_length=200)
    address = forms.CharField(label=_("Address"), max_length=200)
    postal_code = forms.CharField(label=_("Postal code"), max_length=4)
    capacities = forms.IntegerField(label=_("Doctor capacities"), min_value=1, max_value=30)
    listed_patients = forms.IntegerField(label=_("Listed patients"), min_value=0, max_value=100_000)
    counted_on = DanishDateField(
        label=_("Counted on"), help_text=_("Grants use the count on 1 January.")
    )
    start = DanishDateField(label=_("Member from"))

    def clean_provider_number(self):
        return validators.clean_provider_number(self.cleaned_data["provider_number"])

    def clean_postal_code(self):
        return validators.clean_postal_code(self.cleaned_data["postal_code"])


class DoctorJoinForm(forms.Form):
    doctor = forms.ModelChoiceField(
        label=_("Doctor"),
        queryset=Doctor.objects.none(),
        required=False,
        empty_label=_("— a new doctor —"),
    )
    new_name = forms.CharField(label=_("Name of a new doctor"), required=False, max_length=200)
    new_email = forms.EmailField(label=_("E-mail of a new doctor"), required=False)
    new_clinic = forms.ModelChoiceField(
        label=_("Clinic of the new doctor"), queryset=Clinic.objects.none(), required=False
    )
    start = DanishDateField(label=_("Takes part from"))

    def __init__(self, *args, doctors, clinics, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = doctors
        self.fields["new_clinic"].queryset = clinics

    def clean(self):
        data = super().clean()
        if not data.get("doctor") and not (data.get("new_name") and data.get("new_clinic")):
            raise forms.ValidationError(
                _("Choose a doctor of a member clinic, or give a new doctor's name and clinic.")
            )
        return data


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=RoleKind.choices)
    doctor = forms.ModelChoiceField(label=_("Doctor"), queryset=Doctor.objects.none())
    start = DanishDateField(label=_("From"))

    def __init__(self, *args, doctors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = doctors


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, Word or OpenDocument)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.KLYNGE_DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is %(size)s MB; the limit is %(max)s MB.")
                % {
                    "size": round(upload.size / 1e6, 1),
                    "max": round(settings.KLYNGE_DOCUMENT_MAX_BYTES / 1e6),
                }
            )
        return upload


class OverviewFilterForm(forms.Form):
    """Date, region and municipality for the overview, the map and the export. The
    regions offered are those in force on the date and the municipality list follows
    the chosen region on that date; a combination that cannot hold (a municipality
    outside the region, a region not in force on the date) is a form error in the
    user's language, and the pages then list and export nothing."""

    dato = AsOfField()
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=Region.objects.regions(),
        required=False,
        empty_label=_("All regions"),
    )
    municipality = forms.ModelChoiceField(
        label=_("Municipality"),
        queryset=Municipality.objects.all(),
        required=False,
        empty_label=_("All municipalities"),
    )

    def __init__(self, *args, **kwargs):
        from klynge.registry import selectors

        super().__init__(*args, **kwargs)
        on = self._date_asked() or today()
        self.on = on
        region_field = self.fields["region"]
        # Every region is offered; one not in force on the date says when it was, so
        # changing the date never hides the region already chosen.
        region_field.widget.choices = [("", region_field.empty_label)] + [
            (r.pk, selectors.region_label(r, on)) for r in Region.objects.regions()
        ]
        region = self.data.get("region")
        region_code = int(region) if region and str(region).isdigit() else None
        offered = selectors.municipalities_in(region_code, on)
        mun_field = self.fields["municipality"]
        mun_field.widget.choices = [("", mun_field.empty_label)] + [(m.pk, m.name) for m in offered]
        # The municipality select is swapped in place when the region changes (htmx).
        mun_field.widget.attrs["id"] = "id_municipality"

    def _date_asked(self) -> dt.date | None:
        raw = self.data.get("dato") if self.is_bound else None
        if not raw:
            return None
        try:
            return self.fields["dato"].clean(raw)
        except forms.ValidationError:
            return None

    def clean(self):
        from klynge.registry import selectors

        data = super().clean()
        on = data.get("dato") or today()
        data["on"] = on
        region, municipality = data.get("region"), data.get("municipality")
        problem = selectors.filter_problem(on=on, region=region, municipality=municipality)
        if problem:
            raise forms.ValidationError(problem, code="impossible")
        return data
