"""Form-level validators with clear Danish messages around `klynge.core.identifiers`."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from klynge.core import identifiers

MESSAGES = {
    "cvr-length": _("A CVR number has exactly 8 digits."),
    "cvr-leading-zero": _("A CVR number never starts with 0."),
    "cvr-checksum": _(
        "This is not a valid CVR number: the check digit does not match (modulus 11). "
        "Check the number against the business register (cvr.dk)."
    ),
    "provider-number": _("A provider number (ydernummer) has 6 digits, e.g. 034835."),
    "bank-registration": _("The bank registration number has exactly 4 digits."),
    "bank-account": _("The account number has up to 10 digits."),
    "postal-code": _("A Danish postal code has 4 digits, e.g. 4600."),
}


def _wrap(clean):
    def validate(value):
        try:
            return clean(value)
        except ValueError as exc:
            raise ValidationError(MESSAGES[str(exc)], code=str(exc)) from exc

    return validate


clean_cvr = _wrap(identifiers.clean_cvr)
clean_provider_number = _wrap(identifiers.clean_provider_number)
clean_bank_registration = _wrap(identifiers.clean_bank_registration)
clean_bank_account = _wrap(identifiers.clean_bank_account)
clean_postal_code = _wrap(identifiers.clean_postal_code)
