"""Phone numbers, through libphonenumber (the phonenumbers package).

The API demands E.164. Numbers that are *possible* but not *valid* (the specs' fictional
examples such as +15551230000) parse fine with ``valid=False``: callers decide whether validity
is required (live traffic) or not (the sandbox).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from phonenumbers import PhoneMetadata, PhoneNumberType, ValidationResult, carrier
from phonenumbers.phonenumberutil import _number_type_helper

from relaybox.errors import InvalidNumber, SenderNotAllowed

_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_ALPHANUMERIC = re.compile(r"^[A-Za-z0-9 ]{1,11}$")

TYPES = {
    PhoneNumberType.MOBILE: "mobile",
    PhoneNumberType.FIXED_LINE: "fixed_line",
    PhoneNumberType.FIXED_LINE_OR_MOBILE: "fixed_line_or_mobile",
    PhoneNumberType.TOLL_FREE: "toll_free",
    PhoneNumberType.PREMIUM_RATE: "premium_rate",
    PhoneNumberType.SHARED_COST: "shared_cost",
    PhoneNumberType.VOIP: "voip",
    PhoneNumberType.PERSONAL_NUMBER: "personal_number",
    PhoneNumberType.PAGER: "pager",
    PhoneNumberType.UAN: "uan",
    PhoneNumberType.VOICEMAIL: "voicemail",
}
REASONS = {
    ValidationResult.INVALID_COUNTRY_CODE: "invalid_country_code",
    ValidationResult.TOO_SHORT: "too_short",
    ValidationResult.TOO_LONG: "too_long",
    ValidationResult.INVALID_LENGTH: "invalid_length",
}
PARSE_ERRORS = {
    phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "invalid_country_code",
    phonenumbers.NumberParseException.TOO_SHORT_NSN: "too_short",
    phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too_short",
    phonenumbers.NumberParseException.TOO_LONG: "too_long",
}
MESSAGES = {
    "not_a_number": "is not a phone number in E.164 format (e.g. +14155552671)",
    "invalid_country_code": "has an unknown country code",
    "too_short": "is too short",
    "too_long": "is too long",
    "invalid_length": "has an impossible length for its country",
}


@dataclass(frozen=True)
class PhoneInfo:
    e164: str
    country: str | None  # ISO 3166 alpha-2
    country_code: int
    national_number: str
    possible: bool
    valid: bool
    type: str
    carrier: str | None
    reason: str | None  # why the number is not possible


def _invalid(raw: str, reason: str) -> PhoneInfo:
    return PhoneInfo(raw, None, 0, "", False, False, "unknown", None, reason)


@functools.lru_cache(maxsize=200_000)
def lookup(raw: str) -> PhoneInfo:
    """Everything known about ``raw``; never raises (``reason`` says what is wrong).

    The region is resolved once and validity, type and carrier are derived from it (each
    public phonenumbers call would resolve it again, ~30 us a time for +1 numbers).
    """
    text = raw.strip()
    if not _E164.match(text):
        return _invalid(text, "not_a_number")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as err:
        return _invalid(text, PARSE_ERRORS.get(err.error_type, "not_a_number"))
    result = phonenumbers.is_possible_number_with_reason(number)
    possible = result in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY)
    country_code = number.country_code or 0
    region = phonenumbers.region_code_for_number(number) if possible else None
    kind = PhoneNumberType.UNKNOWN
    if region is not None:
        metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
        if metadata is not None:
            nsn = phonenumbers.national_significant_number(number)
            kind = _number_type_helper(nsn, metadata)
    valid = kind != PhoneNumberType.UNKNOWN
    region = region or phonenumbers.region_code_for_country_code(country_code)
    country = region if region and region not in ("ZZ", "001") else None
    name = carrier.name_for_valid_number(number, "en") if valid else ""
    return PhoneInfo(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        country=country,
        country_code=country_code,
        national_number=str(number.national_number),
        possible=possible,
        valid=valid,
        type=TYPES.get(kind, "unknown"),
        carrier=name or None,
        reason=None if possible else REASONS.get(result, "invalid_length"),
    )


def parse(raw: str) -> PhoneInfo:
    """A possible E.164 number, or InvalidNumber with a clear message."""
    info = lookup(raw)
    if info.reason is not None:
        raise InvalidNumber(f"{raw.strip()[:32]!r} {MESSAGES[info.reason]}.")
    return info


def is_landline(info: PhoneInfo) -> bool:
    """Known fixed lines only ("fixed line or mobile" may well receive SMS)."""
    return info.type == "fixed_line"


def sender_kind(sender: str) -> Literal["e164", "short_code", "alphanumeric"]:
    text = sender.strip()
    if text.startswith("+"):
        parse(text)
        return "e164"
    if text.isdigit():
        if 3 <= len(text) <= 8:
            return "short_code"
        raise SenderNotAllowed("A numeric sender must be E.164 (+...) or a 3-8 digit short code.")
    if _ALPHANUMERIC.match(text) and any(ch.isalpha() for ch in text):
        return "alphanumeric"
    raise SenderNotAllowed(
        "A sender id must be 1-11 letters, digits or spaces, with at least one letter."
    )


def same_number(a: str, b: str) -> bool:
    digits_a = "".join(ch for ch in a if ch.isdigit())
    digits_b = "".join(ch for ch in b if ch.isdigit())
    return bool(digits_a) and digits_a == digits_b
