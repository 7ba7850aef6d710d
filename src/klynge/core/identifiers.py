"""Identifiers as pure functions (METHODS.md part C): Denmark's, and England's for the
England jurisdiction (`klynge.core.jurisdiction` says which one a deployment uses). No
Django imports, so the rules are tested directly (with hypothesis) and reused by forms,
imports and the API.

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


# England (the `england` jurisdiction). NHS organisation codes are upper case; a code
# typed in lower case or with spaces around it is the same code.


def clean_practice_code(value: str) -> str:
    """A GP practice code (NHS ODS): one letter and 5 digits, e.g. `A12345`."""
    code = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z][0-9]{5}", code):
        raise ValueError("practice-code")
    return code


def clean_network_code(value: str) -> str:
    """A Primary Care Network code (NHS ODS): `U` and 5 digits, e.g. `U12345`."""
    code = str(value).strip().upper()
    if not re.fullmatch(r"U[0-9]{5}", code):
        raise ValueError("network-code")
    return code


def clean_postcode_district(value: str) -> str:
    """The outward half of a UK postcode (`M1`, `SW1A`, `LS10`): what fits the
    register's 4-character postal code. Whether it exists is the registry's question."""
    code = str(value).strip().upper()
    if not re.fullmatch(r"[A-Z]{1,2}[0-9][A-Z0-9]?", code):
        raise ValueError("postcode-district")
    return code


CENT = Decimal("0.01")
MAX_AMOUNT = Decimal(10) ** 12  # ledger amounts have 14 digits, 2 of them decimals

_MINUS = "\\-\u2212\u2013"  # for a character class: hyphen-minus, minus sign, en dash
_AMOUNT_RE = re.compile(
    r"^(?P<sign>[+" + _MINUS + r"]?)"
    r"(?P<int>\d{1,3}(?:\.\d{3})+|\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+)"
    r"(?:,(?P<dec>\d+))?"
    r"(?P<trail>[" + _MINUS + r"]?)$",
    re.ASCII,
)
_POINT_DECIMAL_RE = re.compile(
    r"^(?P<sign>[+" + _MINUS + r"]?)(?P<int>\d+)\.(?P<dec>\d{1,2})(?P<trail>[" + _MINUS + r"]?)$",
    re.ASCII,
)
_CURRENCY_RE = re.compile(r"^(?:kr\.?|dkk)\s*|\s*(?:kr\.?|dkk)$", re.IGNORECASE)


def parse_amount(value: str) -> Decimal:
    """A Danish amount as Decimal with two decimals: `-1.250,50`, `327.800,00`, `1250,5`,
    `1.250,50-` (trailing minus), `−99,95`, `1 250,00`, `kr. 100,00`. A plain decimal
    point is read when it has one or two decimals (`1250.50`); `1.250` is 1,250 kr.
    Raises ValueError with the reason."""
    cleaned = _CURRENCY_RE.sub("", value.strip()).strip()
    # "- 1.250,50" and "1.250,50 -": a sign set apart by a space.
    cleaned = re.sub(r"^([+" + _MINUS + r"])\s+", r"\1", cleaned)
    cleaned = re.sub(r"\s+([" + _MINUS + r"])$", r"\1", cleaned)
    if not cleaned:
        raise ValueError("the amount is empty")
    match = _AMOUNT_RE.match(cleaned) or _POINT_DECIMAL_RE.match(cleaned)
    if match is None:
        raise ValueError(f"'{value.strip()[:40]}' is not an amount like -1.250,50")
    sign, trail = match["sign"], match["trail"]
    if sign and trail:
        raise ValueError(f"'{value.strip()[:40]}' has two signs")
    digits = re.sub(r"[^0-9]", "", match["int"])
    try:
        amount = Decimal(f"{digits}.{match['dec'] or '0'}")
    except InvalidOperation:  # pragma: no cover - the pattern admits digits only
        raise ValueError(f"'{value.strip()[:40]}' is not an amount") from None
    if amount >= MAX_AMOUNT:  # before quantize(), which fails beyond 28 digits
        raise ValueError(f"'{value.strip()[:40]}' is too large")
    if amount != amount.quantize(CENT):
        raise ValueError(f"'{value.strip()[:40]}' has more than two decimals")
    if (sign and sign != "+") or trail:
        amount = -amount
    return amount.quantize(CENT) if amount else Decimal("0.00")
