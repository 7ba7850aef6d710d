"""Danish identifiers (METHODS.md part C): CVR modulus 11, provider numbers, bank
registration and account numbers, postal codes. Pure functions, so no database."""

from __future__ import annotations

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from klynge.core.identifiers import (
    CVR_WEIGHTS,
    clean_bank_account,
    clean_bank_registration,
    clean_cvr,
    clean_postal_code,
    clean_provider_number,
    cvr_check_digit,
    cvr_is_valid,
)

seven_digit_prefixes = st.integers(min_value=1_000_000, max_value=9_999_999).map(str)


def valid_cvrs() -> st.SearchStrategy[str]:
    return (
        seven_digit_prefixes.map(lambda p: (p, cvr_check_digit(p)))
        .filter(lambda pc: pc[1] is not None)
        .map(lambda pc: f"{pc[0]}{pc[1]}")
    )


# --- CVR -----------------------------------------------------------------------------------


def test_known_cvr_is_valid():
    assert cvr_is_valid("13585628")
    assert sum(int(d) * w for d, w in zip("13585628", CVR_WEIGHTS, strict=True)) % 11 == 0
    assert cvr_check_digit("1358562") == 8


@pytest.mark.parametrize("written", ["13585628", "DK13585628", "dk 13 58 56 28", "13-58-56-28"])
def test_clean_cvr_normalises_prefix_and_separators(written):
    assert clean_cvr(written) == "13585628"
    assert cvr_is_valid(written)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "cvr-length"),
        ("1358562", "cvr-length"),
        ("135856280", "cvr-length"),
        ("1358562X", "cvr-length"),
        ("03585628", "cvr-leading-zero"),
        ("13585627", "cvr-checksum"),
        ("13585629", "cvr-checksum"),
    ],
)
def test_clean_cvr_rejects_with_reason(value, reason):
    with pytest.raises(ValueError, match=rf"^{reason}$"):
        clean_cvr(value)
    assert not cvr_is_valid(value)


@given(valid_cvrs())
def test_any_prefix_with_its_check_digit_validates(cvr):
    assert len(cvr) == 8
    assert cvr_is_valid(cvr)
    assert clean_cvr(cvr) == cvr
    assert clean_cvr(f"DK{cvr}") == cvr


@given(valid_cvrs(), st.integers(min_value=0, max_value=7), st.integers(min_value=1, max_value=9))
@example("13585628", 7, 1)
@example("13585628", 0, 9)
def test_changing_any_single_digit_breaks_a_cvr(cvr, position, shift):
    changed_digit = (int(cvr[position]) + shift) % 10
    changed = f"{cvr[:position]}{changed_digit}{cvr[position + 1 :]}"
    assert changed != cvr
    assert not cvr_is_valid(changed)


@given(seven_digit_prefixes)
def test_a_prefix_has_exactly_one_check_digit_or_none(prefix):
    valid = [d for d in range(10) if cvr_is_valid(f"{prefix}{d}")]
    check = cvr_check_digit(prefix)
    if check is None:
        assert valid == []  # the weighted sum would need a check digit of 10
    else:
        assert valid == [check]


@given(st.integers(min_value=0, max_value=999_999).map(lambda n: f"0{n:06d}"))
def test_leading_zero_never_validates(prefix):
    check = cvr_check_digit(prefix)
    assume(check is not None)  # the checksum alone would pass ...
    assert not cvr_is_valid(f"{prefix}{check}")  # ... but a CVR never starts with 0


# --- Provider numbers (ydernumre) ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("34835", "034835"),
        (34835, "034835"),
        ("034835", "034835"),
        (" 034 835 ", "034835"),
        ("1", "000001"),
        ("999999", "999999"),
    ],
)
def test_provider_number_is_zero_padded_to_six(value, expected):
    assert clean_provider_number(value) == expected


@pytest.mark.parametrize("value", ["", "0", "000000", "1234567", "12a456", "12.5e3x", 0])
def test_provider_number_rejected(value):
    with pytest.raises(ValueError, match=r"^provider-number$"):
        clean_provider_number(value)


@given(st.integers(min_value=1, max_value=999_999))
def test_provider_number_round_trips(number):
    cleaned = clean_provider_number(str(number))
    assert cleaned == f"{number:06d}"
    assert clean_provider_number(cleaned) == cleaned  # idempotent
    assert clean_provider_number(number) == cleaned


@given(st.integers(min_value=1_000_000, max_value=10**12))
def test_provider_number_longer_than_six_digits_rejected(number):
    with pytest.raises(ValueError):
        clean_provider_number(str(number))


# --- Bank -------------------------------------------------------------------------------------


def test_bank_registration_is_four_digits():
    assert clean_bank_registration("1234") == "1234"
    assert clean_bank_registration("12 34") == "1234"
    for bad in ["123", "12345", "12a4", ""]:
        with pytest.raises(ValueError, match=r"^bank-registration$"):
            clean_bank_registration(bad)


def test_bank_account_left_padded_to_ten():
    assert clean_bank_account("123456") == "0000123456"
    assert clean_bank_account("1234-567-890") == "1234567890"
    for bad in ["0", "0000000000", "12345678901", "12345x", ""]:
        with pytest.raises(ValueError, match=r"^bank-account$"):
            clean_bank_account(bad)


@given(st.integers(min_value=1, max_value=9_999_999_999))
def test_bank_account_round_trips(number):
    cleaned = clean_bank_account(str(number))
    assert cleaned == f"{number:010d}"
    assert clean_bank_account(cleaned) == cleaned


@given(st.integers(min_value=0, max_value=9999).map(lambda n: f"{n:04d}"))
def test_any_four_digits_is_a_bank_registration(reg):
    assert clean_bank_registration(reg) == reg


# --- Postal codes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [("4600", "4600"), (" 4600 ", "4600"), ("0800", "0800")]
)
def test_postal_code_accepted(value, expected):
    assert clean_postal_code(value) == expected


@pytest.mark.parametrize("value", ["460", "46000", "DK-4600", "46 00", "", "FO-100"])
def test_postal_code_rejected(value):
    with pytest.raises(ValueError, match=r"^postal-code$"):
        clean_postal_code(value)


@given(st.integers(min_value=0, max_value=9999).map(lambda n: f"{n:04d}"))
def test_any_four_digit_string_is_a_postal_code(code):
    assert clean_postal_code(code) == code


@given(st.text(max_size=6))
def test_accepted_postal_codes_are_four_characters(text):
    try:
        cleaned = clean_postal_code(text)
    except ValueError:
        return
    assert len(cleaned) == 4


# --- Non-ASCII digits -------------------------------------------------------------------------

ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize(
    ("clean", "ascii_value", "lookalike"),
    [
        # CVR's first digit must match [1-9], so only the rest is written in Arabic-Indic
        (clean_cvr, "13585628", "1" + "3585628".translate(ARABIC_INDIC)),
        (clean_provider_number, "034835", "034835".translate(ARABIC_INDIC)),
        (clean_bank_registration, "1234", "1234".translate(ARABIC_INDIC)),
        (clean_bank_account, "1234567890", "1234567890".translate(ARABIC_INDIC)),
        (clean_postal_code, "4600", "4600".translate(ARABIC_INDIC)),
    ],
    ids=["cvr", "provider_number", "bank_registration", "bank_account", "postal_code"],
)
def test_non_ascii_digits_are_rejected(clean, ascii_value, lookalike):
    assert clean(ascii_value)  # the ASCII form is valid ...
    with pytest.raises(ValueError):  # ... the same number in other digits is not
        clean(lookalike)
