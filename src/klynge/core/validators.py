"""Form-level validators with clear messages around `klynge.core.identifiers`.

The provider number (a practice), the organisation number (a cluster) and the postal
code are the configured jurisdiction's (`klynge.core.jurisdiction`): in Denmark the
ydernummer, the CVR number and the 4-digit postal code, in England the practice code,
the Primary Care Network code and the postcode district. Bank numbers are Danish
(registration and account number) whatever the jurisdiction.
"""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from klynge.core import identifiers, jurisdiction

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
    "practice-code": _("A GP practice code is a letter and 5 digits, e.g. A12345."),
    "network-code": _("A Primary Care Network code is U and 5 digits, e.g. U12345."),
    "postcode-district": _("A postcode district is the first half of a postcode, e.g. M1 or SW1A."),
}


def _wrap(clean):
    def validate(value):
        try:
            return clean(value)
        except ValueError as exc:
            raise ValidationError(MESSAGES[str(exc)], code=str(exc)) from exc

    return validate


def clean_provider_number(value):
    """The active jurisdiction's practice identifier (Denmark: the ydernummer)."""
    return _wrap(jurisdiction.active().provider_number.clean)(value)


def clean_organisation_number(value):
    """The active jurisdiction's cluster identifier (Denmark: the CVR number)."""
    return _wrap(jurisdiction.active().organisation_number.clean)(value)


def clean_postal_code(value):
    """The active jurisdiction's postal code (Denmark: 4 digits)."""
    return _wrap(jurisdiction.active().postal_code.clean)(value)


# Denmark's own, by name: the CVR is also a clinic's company number in Denmark.
clean_cvr = _wrap(identifiers.clean_cvr)
clean_bank_registration = _wrap(identifiers.clean_bank_registration)
clean_bank_account = _wrap(identifiers.clean_bank_account)
