"""The jurisdiction seam (ADR 9): `KLYNGE_JURISDICTION` selects currency and number
formats, the provider- and organisation-number validators, area layer names, the
default grant scheme and role names; Denmark's entry keeps what the code did before."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from klynge.core import identifiers, jurisdiction, validators
from klynge.core.formatting import format_money, format_number
from klynge.registry.models import RoleKind

england = override_settings(KLYNGE_JURISDICTION="england")


def test_denmark_is_the_default_and_unknown_codes_are_refused(settings):
    assert jurisdiction.active().code == "dk"
    settings.KLYNGE_JURISDICTION = "wales"
    with pytest.raises(KeyError, match="wales"):
        jurisdiction.active()


def test_settings_take_languages_and_time_zone_from_the_jurisdiction(settings):
    assert settings.LANGUAGE_CODE == jurisdiction.DENMARK.languages[0] == "da"
    assert [code for code, _name in settings.LANGUAGES] == ["da", "en"]
    assert settings.TIME_ZONE == "Europe/Copenhagen"
    assert jurisdiction.ENGLAND.languages == ("en",)
    assert jurisdiction.ENGLAND.time_zone == "Europe/London"


# --- Money and numbers -------------------------------------------------------------------


@england
def test_pounds_with_english_separators_whatever_the_interface_language():
    for language in ("en", "da"):
        with translation.override(language):
            assert format_money(Decimal("1234.50")) == "£1,234.50"
            assert format_money(327800) == "£327,800"
            assert format_money(Decimal("-1500")) == "-£1,500"
            assert format_number(1234567) == "1,234,567"


def test_kroner_unchanged_in_denmark():
    with translation.override("da"):
        assert format_money(Decimal("1234.50")) == "1.234,50\u00a0kr."
        assert format_money(Decimal("-1500")) == "-1.500\u00a0kr."
    with translation.override("en"):
        assert format_money(Decimal("1234.50")) == "1,234.50\u00a0kr."


def test_activate_overrides_the_setting_inside_the_block_only():
    with jurisdiction.activate("england") as active:
        assert active.code == "england"
        assert format_money(10) == "£10"
    assert jurisdiction.active().code == "dk"
    assert format_money(10).endswith("kr.")


# --- Identifiers ---------------------------------------------------------------------------


@given(letter=st.sampled_from("ABCDEFGHJKLMNPY"), number=st.integers(0, 99_999))
def test_practice_and_network_codes_round_trip(letter, number):
    practice = f"{letter}{number:05d}"
    assert identifiers.clean_practice_code(f" {practice.lower()} ") == practice
    assert identifiers.clean_network_code(f"u{number:05d}") == f"U{number:05d}"


@pytest.mark.parametrize("value", ["12345", "A1234", "A123456", "AB12345", "Å12345", "A12 345"])
def test_bad_practice_codes_are_refused(value):
    with pytest.raises(ValueError, match="practice-code"):
        identifiers.clean_practice_code(value)


@pytest.mark.parametrize("value", ["A12345", "U1234", "U123456", "12345"])
def test_bad_network_codes_are_refused(value):
    with pytest.raises(ValueError, match="network-code"):
        identifiers.clean_network_code(value)


@pytest.mark.parametrize("value,expected", [("m1", "M1"), ("SW1A", "SW1A"), ("ls10", "LS10")])
def test_postcode_districts(value, expected):
    assert identifiers.clean_postcode_district(value) == expected
    with pytest.raises(ValueError):
        identifiers.clean_postcode_district("4600")


def test_validators_follow_the_jurisdiction():
    # Denmark: the ydernummer and CVR, as before.
    assert validators.clean_provider_number("34835") == "034835"
    assert validators.clean_organisation_number("29190925") == "29190925"
    assert validators.clean_postal_code("4600") == "4600"
    with pytest.raises(ValidationError) as refused:
        validators.clean_provider_number("A12345")
    assert refused.value.code == "provider-number"
    with england:
        assert validators.clean_provider_number("a12345") == "A12345"
        assert validators.clean_organisation_number("U12345") == "U12345"
        assert validators.clean_postal_code("sw1a") == "SW1A"
        with pytest.raises(ValidationError) as refused:
            validators.clean_provider_number("034835")
        assert refused.value.code == "practice-code"
        with pytest.raises(ValidationError) as refused:
            validators.clean_organisation_number("29190925")
        assert refused.value.code == "network-code"
    # The CVR validator by name stays Danish.
    with england, pytest.raises(ValidationError):
        validators.clean_cvr("U12345")


def test_every_identifier_error_has_a_message():
    for j in jurisdiction.JURISDICTIONS.values():
        for ident in (j.provider_number, j.organisation_number, j.postal_code):
            with pytest.raises(ValidationError) as refused:
                validators._wrap(ident.clean)("?")
            assert refused.value.code in validators.MESSAGES
            assert ident.clean(ident.example)  # the example is valid


# --- Areas, roles, grants -----------------------------------------------------------------


def test_area_layer_names():
    with translation.override("en"):
        assert str(jurisdiction.DENMARK.municipality_label) == "Municipality"
        assert str(jurisdiction.ENGLAND.municipality_label) == "Integrated care board"
        assert str(jurisdiction.ENGLAND.area_label("region", plural=True)) == "NHS regions"


def test_role_names_follow_the_jurisdiction():
    with translation.override("en"):
        assert str(RoleKind.COORDINATOR.label) == "Coordinator"
        assert str(RoleKind.CHAIR.label) == "Chair"
        with england:
            assert str(RoleKind.COORDINATOR.label) == "Clinical director"
            assert str(RoleKind.CHAIR.label) == "Chair"


@pytest.mark.django_db
def test_default_grant_scheme_is_the_jurisdictions():
    from klynge.finance.models import GrantScheme
    from klynge.finance.schemes import (
        DEFAULT_SCHEME,
        ensure_default_scheme,
        install_default_schemes,
    )

    ensure_default_scheme(GrantScheme)
    danish = GrantScheme.objects.get(valid_from=DEFAULT_SCHEME["valid_from"])
    assert danish.operating_rate == Decimal("4.26")
    with england:
        install_default_schemes(GrantScheme)
        names = list(GrantScheme.objects.values_list("name", flat=True))
        assert names == [jurisdiction.ENGLAND_ILLUSTRATIVE_SCHEME["name"]]
        assert names[0].startswith("Illustrative only")
    install_default_schemes(GrantScheme)
    assert list(GrantScheme.objects.values_list("operating_rate", flat=True)) == [Decimal("4.26")]


def test_chart_locale_follows_the_jurisdiction():
    from klynge.registry.charts import VEGA_LOCALE_DA, VEGA_LOCALE_EN, vega_locale

    with translation.override("da"):
        assert vega_locale() == VEGA_LOCALE_DA  # Denmark unchanged
    with translation.override("en"):
        assert vega_locale() == VEGA_LOCALE_EN
        with england:
            number = vega_locale()["number"]
            assert number["currency"] == ["£", ""]
            assert (number["decimal"], number["thousands"]) == (".", ",")


def test_the_cluster_form_asks_for_the_jurisdiction_s_organisation_number():
    """The cluster form checked the Danish CVR whatever the jurisdiction."""
    from klynge.registry.forms import ClusterForm

    def error(value: str) -> bool:
        form = ClusterForm(data={"cvr": value})
        form.is_valid()
        return "cvr" in form.errors

    assert error("U12345") and not error("13585628")
    with england:
        assert not error("U12345") and error("13585628")
