"""Danish identifiers as pure functions (METHODS.md part C). No Django imports, so the
rules are tested directly (with hypothesis) and reused by forms, imports and the API.

Only ASCII digits 0-9 count: `\\d` and `str.isdigit()` would also accept Arabic-Indic
and other Unicode digits.

Each `clean_*` returns the normalised value or raises `ValueError` with a short English
reason; `klynge.core.validators` turns those into translated form errors.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

CVR_WEIGHTS = (2, 7, 6, 5, 4, 3, 2, 1)


def _digits(value: str) -> str:
    return re.sub(r"[\s\-.]", "", str(value))


def cvr_is_valid(value: str) -> bool:
    """True for 8 digits, first not 0, whose weighted sum (2,7,6,5,4,3,2,1) ≡ 0 mod 11."""
    digits = _digits(value).upper().removeprefix("DK")
    if not re.fullmatch(r"[1-9][0-9]{7}", digits):
        return False
    return sum(int(d) * w for d, w in zip(digits, CVR_WEIGHTS, strict=True)) % 11 == 0


def clean_cvr(value: str) -> str:
    digits = _digits(value).upper().removeprefix("DK")
    if not re.fullmatch(r"[0-9]{8}", digits):
        raise ValueError("cvr-length")
    if digits[0] == "0":
        raise ValueError("cvr-leading-zero")
    if not cvr_is_valid(digits):
        raise ValueError("cvr-checksum")
    return digits


def cvr_check_digit(first_seven: str) -> int | None:
    """The 8th digit that makes `first_seven` a valid CVR, or None when none exists."""
    partial = sum(int(d) * w for d, w in zip(first_seven, CVR_WEIGHTS[:7], strict=True))
    check = (-partial) % 11
    return None if check == 10 else check


def clean_provider_number(value: str | int) -> str:
    """A provider number (ydernummer): numeric, at most 6 digits, stored zero-padded."""
    digits = _digits(str(value))
    if not re.fullmatch(r"[0-9]{1,6}", digits):
        raise ValueError("provider-number")
    if int(digits) == 0:
        raise ValueError("provider-number")
    return digits.zfill(6)


def clean_bank_registration(value: str) -> str:
    digits = _digits(value)
    if not re.fullmatch(r"[0-9]{4}", digits):
        raise ValueError("bank-registration")
    return digits


def clean_bank_account(value: str) -> str:
    """Up to 10 digits, left-padded to 10 (per-bank check digits vary: format only)."""
    digits = _digits(value)
    if not re.fullmatch(r"[0-9]{1,10}", digits) or int(digits) == 0:
        raise ValueError("bank-account")
    return digits.zfill(10)


def clean_postal_code(value: str) -> str:
    """A Danish postal code: 4 digits. Whether it exists is the registry's question."""
    digits = str(value).strip()
    if not re.fullmatch(r"[0-9]{4}", digits):
        raise ValueError("postal-code")
    return digits


def parse_amount(value: str) -> Decimal:
    """A Danish or English amount: `1.250,50`, `1250,50`, `1 250,50`, `1250.50`,
    `327.800` (dot thousands) → Decimal. Raises ValueError when it is not a number."""
    from decimal import Decimal

    text = (
        str(value)
        .strip()
        .replace("\u00a0", "")
        .replace(" ", "")
        .removesuffix("kr.")
        .removesuffix("kr")
    )
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    elif re.fullmatch(r"-?[0-9]{1,3}(\.[0-9]{3})+", text):
        text = text.replace(".", "")
    if not re.fullmatch(r"-?[0-9]+(\.[0-9]{1,2})?", text):
        raise ValueError("amount")
    try:
        return Decimal(text)
    except InvalidOperation as exc:
        raise ValueError("amount") from exc
