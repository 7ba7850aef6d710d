"""Forms for invitations, staff invitations, hand-over dates and the secretariat's
step-in."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from klynge.core.forms import DanishDateField
from klynge.registry.models import Doctor, Region


class SetPasswordForm(forms.Form):
    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits and not too common."),
    )
    password2 = forms.CharField(
        label=_("The password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two passwords are not the same."))
        elif one:
            try:
                password_validation.validate_password(one)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class DoctorEmailForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))


class HandoverDateForm(forms.Form):
    hand_over_by = DanishDateField(label=_("Hand over at the latest on"))


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label=_("E-mail"))
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    region = forms.ModelChoiceField(
        label=_("Workplace"),
        queryset=Region.objects.none(),
        required=False,
        empty_label=_("National secretariat"),
    )

    def __init__(self, *args: Any, regions: Any = None, secretariat: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field: Any = self.fields["region"]
        field.queryset = regions if regions is not None else Region.objects.all()
        if not secretariat:
            field.required = True
            field.empty_label = None


class AppointForm(forms.Form):
    doctor = forms.ModelChoiceField(label=_("New coordinator"), queryset=Doctor.objects.none())
    email = forms.EmailField(label=_("E-mail (if the doctor has none registered)"), required=False)

    def __init__(self, *args: Any, doctors: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if doctors is not None:
            field: Any = self.fields["doctor"]
            field.queryset = doctors
