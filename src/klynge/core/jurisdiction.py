"""Jurisdictions: what is Danish about Klynge, gathered in one configured value (ADR 9).

A cluster programme elsewhere (England's Primary Care Networks, Wales, Scotland) runs
the same product with another `Jurisdiction`: its currency and number formats, the
validators of its provider number (a practice) and organisation number (a cluster),
the names of its area layers, its default grant scheme, its role names, its languages
and time zone, and whether it ships a map. The data itself — the areas, their codes
and members — is a data pack loaded by the demo generator (`klynge.demo.dataset`) or
by a deployment's own import; this module only describes.

`KLYNGE_JURISDICTION` (default `dk`) selects one; `active()` answers it and everything
that formats or validates asks it, so a deployment is configuration plus a data pack,
not a fork. Denmark's entry reproduces exactly what the code did before the seam.

No model imports: core depends on no domain, and settings reads the languages and the
time zone from here before the apps are loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from klynge.core import identifiers

DEFAULT = "dk"


@dataclass(frozen=True)
class NumberFormat:
    decimal: str
    thousands: str
    grouping: int = 3


@dataclass(frozen=True)
class Currency:
    code: str  # ISO 4217
    symbol: str
    prefix: bool  # "£1,234.50" (True) or "1.234,50 kr." (False, after a no-break space)


@dataclass(frozen=True)
class Identifier:
    """A validator of an identifier: `clean` (pure, `klynge.core.identifiers`) returns
    the normalised value or raises `ValueError(key)`; `klynge.core.validators` has the
    form error for each key."""

    label: Any
    clean: Callable[[str], str]
    example: str


@dataclass(frozen=True)
class AreaLayer:
    """The two levels of the register's geography: the layer that pays and has staff
    (`region`) and the one clinics and clusters lie in (`municipality`)."""

    singular: Any
    plural: Any


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: Any
    country: str  # ISO 3166-1 alpha-2
    currency: Currency
    # Number format per interface language; a language the jurisdiction does not list
    # formats as its first language does.
    numbers: Mapping[str, NumberFormat]
    languages: tuple[str, ...]  # the first is the default
    time_zone: str
    provider_number: Identifier  # a practice (Denmark: ydernummer)
    organisation_number: Identifier  # a cluster (Denmark: CVR)
    postal_code: Identifier
    areas: Mapping[str, AreaLayer]  # "region", "municipality"
    # The default grant schemes, as `finance.schemes` installs them (data, valid from a
    # date); empty when the programme has none.
    grant_schemes: tuple[Mapping[str, Any], ...]
    # Role labels that differ from the registry's own (`RoleKind`), by role value.
    role_labels: Mapping[str, Any] = field(default_factory=dict)
    has_map: bool = False

    def number_format(self, language: str | None) -> NumberFormat:
        lang = (language or self.languages[0]).split("-")[0]
        return self.numbers.get(lang) or self.numbers[self.languages[0]]

    def area_label(self, layer: str, *, plural: bool = False) -> Any:
        area = self.areas[layer]
        return area.plural if plural else area.singular

    # For templates, which cannot pass arguments.
    @property
    def region_label(self) -> Any:
        return self.area_label("region")

    @property
    def municipality_label(self) -> Any:
        return self.area_label("municipality")


# --- The entries ------------------------------------------------------------------------

DANISH_SCHEME: Mapping[str, Any] = {
    "valid_from": "2017-01-01",
    "name": "Overenskomst 2018 (vejledningens satser)",
    "start_per_capacity": Decimal("10000"),
    "operating_rate": Decimal("4.26"),
    "supplementary": {"2019": "2.16", "2020": "2.16", "2021": "0.47"},
    "minimum_per_year": None,
}

# Illustrative only: a flat rate per registered patient a year from the year Primary
# Care Networks began (2019; a grant year's scheme is the one in force on 1 January), so
# the England-scale demo has grants to show. It is not NHS England's Network Contract
# DES and claims nothing about its entitlements.
ENGLAND_ILLUSTRATIVE_SCHEME: Mapping[str, Any] = {
    "valid_from": "2019-01-01",
    "name": "Illustrative only: £1.50 per registered patient a year (not an NHS rate)",
    "start_per_capacity": Decimal("0"),
    "operating_rate": Decimal("1.50"),
    "supplementary": {},
    "minimum_per_year": None,
}

DENMARK = Jurisdiction(
    code="dk",
    name=_("Denmark"),
    country="DK",
    currency=Currency(code="DKK", symbol="kr.", prefix=False),
    numbers={"da": NumberFormat(",", "."), "en": NumberFormat(".", ",")},
    languages=("da", "en"),
    time_zone="Europe/Copenhagen",
    provider_number=Identifier(
        label=_("provider number"),
        clean=identifiers.clean_provider_number,
        example="034835",
    ),
    organisation_number=Identifier(
        label=_("CVR number"),
        clean=identifiers.clean_cvr,
        example="29190925",
    ),
    postal_code=Identifier(
        label=_("postal code"),
        clean=identifiers.clean_postal_code,
        example="4600",
    ),
    areas={
        "region": AreaLayer(_("Region"), _("Regions")),
        "municipality": AreaLayer(_("Municipality"), _("Municipalities")),
    },
    grant_schemes=(DANISH_SCHEME,),
    has_map=True,
)

ENGLAND = Jurisdiction(
    code="england",
    name=_("England"),
    country="GB",
    currency=Currency(code="GBP", symbol="£", prefix=True),
    numbers={"en": NumberFormat(".", ",")},
    languages=("en",),
    time_zone="Europe/London",
    provider_number=Identifier(
        label=_("practice code"),
        clean=identifiers.clean_practice_code,
        example="A12345",
    ),
    organisation_number=Identifier(
        label=_("network code"),
        clean=identifiers.clean_network_code,
        example="U12345",
    ),
    postal_code=Identifier(
        label=_("postcode district"),
        clean=identifiers.clean_postcode_district,
        example="SW1A",
    ),
    areas={
        "region": AreaLayer(_("NHS region"), _("NHS regions")),
        "municipality": AreaLayer(_("Integrated care board"), _("Integrated care boards")),
    },
    grant_schemes=(ENGLAND_ILLUSTRATIVE_SCHEME,),
    role_labels={"coordinator": pgettext_lazy("PCN role", "Clinical director")},
    has_map=False,
)

JURISDICTIONS: Mapping[str, Jurisdiction] = {j.code: j for j in (DENMARK, ENGLAND)}

# A block of code may act for another jurisdiction than the configured one: the demo
# generator builds England's data pack in a database configured for Denmark.
_override: ContextVar[str | None] = ContextVar("klynge_jurisdiction", default=None)


def get(code: str) -> Jurisdiction:
    """The jurisdiction `code`; a KeyError names the known ones."""
    try:
        return JURISDICTIONS[code]
    except KeyError:
        known = ", ".join(sorted(JURISDICTIONS))
        raise KeyError(f"unknown jurisdiction {code!r} (known: {known})") from None


def active() -> Jurisdiction:
    """The jurisdiction in force: an `activate()` block's, else `KLYNGE_JURISDICTION`."""
    return get(_override.get() or str(getattr(settings, "KLYNGE_JURISDICTION", DEFAULT)))


@contextmanager
def activate(code: str) -> Iterator[Jurisdiction]:
    """Act for jurisdiction `code` inside the block (this thread or task only)."""
    jurisdiction = get(code)
    token = _override.set(code)
    try:
        yield jurisdiction
    finally:
        _override.reset(token)


def context(request) -> dict[str, Jurisdiction]:
    """Template context processor: `jurisdiction` (its names, labels, whether it has a map)."""
    return {"jurisdiction": active()}


def role_label(role: str, default: Any) -> Any:
    """The active jurisdiction's name for a registry role, else `default`."""
    return active().role_labels.get(role, default)
