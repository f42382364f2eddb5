"""Phone numbers through phonenumbers: E.164 only, possible vs valid, types, senders."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from phonenumbers import PhoneNumberType

from relaybox.domain import phone
from relaybox.errors import InvalidNumber, SenderNotAllowed

COUNTRIES = ["US", "CA", "GB", "DE", "FR", "NL", "IN", "BR", "AU"]


def example(region: str, kind: int) -> str:
    number = phonenumbers.example_number_for_type(region, kind)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@pytest.mark.parametrize("region", COUNTRIES)
def test_real_mobiles_and_landlines(region: str) -> None:
    mobile = phone.parse(example(region, PhoneNumberType.MOBILE))
    assert mobile.valid and mobile.country == region
    assert mobile.type in ("mobile", "fixed_line_or_mobile")
    assert not phone.is_landline(mobile)
    fixed = phone.parse(example(region, PhoneNumberType.FIXED_LINE))
    assert fixed.valid and fixed.type in ("fixed_line", "fixed_line_or_mobile")


@pytest.mark.parametrize(
    ("number", "country"),
    [
        ("+15551230000", "US"),
        ("+15557890000", "US"),
        ("+447700900000", "GB"),
        ("+18800000000", "US"),
        ("+91638651000", "IN"),
    ],
)
def test_spec_examples_are_possible_not_valid(number: str, country: str) -> None:
    info = phone.parse(number)
    assert info.possible and not info.valid and info.e164 == number
    assert info.country == country and info.type == "unknown" and info.carrier is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("5551230000", "not_a_number"),
        ("+1 555 123 0000", "not_a_number"),
        ("", "not_a_number"),
        ("+", "not_a_number"),
        ("+0123", "not_a_number"),
        ("+1555", "too_short"),
        ("+4477009000001234", "not_a_number"),
        ("+99912345678", "invalid_country_code"),
        ("abc", "not_a_number"),
    ],
)
def test_impossible_numbers(raw: str, reason: str) -> None:
    assert phone.lookup(raw).reason == reason
    with pytest.raises(InvalidNumber):
        phone.parse(raw)


def test_carrier_names_only_when_known() -> None:
    info = phone.parse("+447400123456")
    assert info.valid and info.carrier  # a UK mobile range phonenumbers knows
    assert phone.parse("+15551230000").carrier is None


def test_sender_kinds() -> None:
    assert phone.sender_kind("+15557890000") == "e164"
    assert phone.sender_kind("12345") == "short_code"
    assert phone.sender_kind("Acme Inc") == "alphanumeric"
    for bad in ("Acme Incorporated", "12", "123456789", "Acme!", "   ", "+1"):
        with pytest.raises((SenderNotAllowed, InvalidNumber)):
            phone.sender_kind(bad)


def test_same_number() -> None:
    assert phone.same_number("+15551230000", "+1 555 123 0000")
    assert not phone.same_number("+15551230000", "+15551230001")
    assert not phone.same_number("Acme", "Acme")


@given(st.text(max_size=30))
def test_lookup_never_raises(raw: str) -> None:
    info = phone.lookup(raw)
    assert info.reason is None or not info.possible
