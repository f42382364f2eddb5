"""Number inventory rules: types, capabilities, and the search filters every surface shares.

- type: local | mobile | toll_free | short_code (spec 004 spells them kebab-case: toll-free)
- capabilities: sms, mms, voice; a filter asks for all of those given
- prefix: full international format (``+1212``), only together with a country, and it must
  start with one of those countries' calling codes (spec 004: "It MUST be used in conjunction
  with the countryCodes filter")
- contains: digits, ``*`` for exactly one digit and ``%`` for any run of digits, matched
  anywhere in the number (``55*1`` matches +14155521...; ``12%99`` matches ...12...99...)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import phonenumbers

from relaybox.errors import ValidationFailed

TYPES = ("local", "mobile", "toll_free", "short_code")
CAPABILITIES = ("sms", "mms", "voice")
MAX_COUNTRIES = 50

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PREFIX = re.compile(r"^\+[1-9]\d{0,14}$")
_CONTAINS = re.compile(r"^\+?[0-9*%]{1,16}$")


def normalize_type(value: str, field_name: str = "type") -> str:
    kind = value.strip().lower().replace("-", "_").replace(" ", "_")
    if kind == "tollfree":
        kind = "toll_free"
    if kind == "shortcode":
        kind = "short_code"
    if kind not in TYPES:
        raise ValidationFailed.field(field_name, f"type must be one of {', '.join(TYPES)}")
    return kind


def bird_type(kind: str) -> str:
    """Spec 004's spelling of a type (``toll-free``)."""
    return kind.replace("_", "-")


def split_values(values: list[str] | None) -> list[str]:
    """Query lists given repeated (``?a=x&a=y``) or comma-separated (``?a=x,y``)."""
    out: list[str] = []
    for value in values or []:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def normalize_countries(values: list[str], field_name: str = "countryCodes") -> list[str]:
    countries = []
    for value in values:
        code = value.strip().upper()
        if not _COUNTRY.match(code) or not phonenumbers.country_code_for_region(code):
            raise ValidationFailed.field(field_name, f"{value[:8]!r} is not an ISO 3166 country")
        if code not in countries:
            countries.append(code)
    if len(countries) > MAX_COUNTRIES:
        raise ValidationFailed.field(field_name, f"at most {MAX_COUNTRIES} countries")
    return countries


def normalize_capabilities(values: list[str], field_name: str = "capabilities") -> list[str]:
    caps = []
    for value in values:
        cap = value.strip().lower()
        if cap not in CAPABILITIES:
            raise ValidationFailed.field(
                field_name, f"capabilities are a subset of {', '.join(CAPABILITIES)}"
            )
        if cap not in caps:
            caps.append(cap)
    return caps


def contains_to_like(pattern: str) -> str:
    """A ``contains`` pattern as a SQL LIKE pattern (digits only, so nothing needs escaping)."""
    if not _CONTAINS.match(pattern):
        raise ValidationFailed.field(
            "contains", "contains is digits with * (one digit) and % (any digits)"
        )
    body = pattern.replace("*", "_")
    return body if body.startswith("+") else f"%{body}%"


@dataclass(frozen=True)
class Filters:
    countries: list[str] = field(default_factory=list)
    type: str | None = None
    prefix: str | None = None  # E.164 prefix, e.g. +1212
    contains: str | None = None  # SQL LIKE pattern (contains_to_like)
    capabilities: list[str] = field(default_factory=list)

    @property
    def national_prefix(self) -> tuple[str, str] | None:
        """(country, national prefix) the prefix names, e.g. ("US", "212")."""
        if self.prefix is None:
            return None
        digits = self.prefix[1:]
        for country in self.countries:
            code = str(phonenumbers.country_code_for_region(country))
            if digits.startswith(code):
                return country, digits[len(code) :]
        return None


def make_filters(
    *,
    countries: list[str] | None = None,
    type: str | None = None,
    prefix: str | None = None,
    area_code: str | None = None,
    contains: str | None = None,
    capabilities: list[str] | None = None,
    country_field: str = "countryCodes",
) -> Filters:
    """Validate search filters (422 with the field named on any mistake)."""
    chosen = normalize_countries(split_values(countries), country_field)
    kind = normalize_type(type) if type else None
    caps = normalize_capabilities(split_values(capabilities))
    if area_code is not None:
        if not area_code.isdigit() or not 1 <= len(area_code) <= 6:
            raise ValidationFailed.field("area_code", "area_code is 1-6 digits, e.g. 212")
        if len(chosen) != 1:
            raise ValidationFailed.field("area_code", "area_code needs exactly one country")
        prefix = f"+{phonenumbers.country_code_for_region(chosen[0])}{area_code}"
    if prefix is not None:
        prefix = prefix.strip().replace(" ", "")
        if prefix[:1].isdigit():  # "+1212" in a query string unencoded arrives as " 1212"
            prefix = f"+{prefix}"
        if not _PREFIX.match(prefix):
            raise ValidationFailed.field(
                "prefix", "prefix is in full international format, e.g. +1212"
            )
        if not chosen:
            raise ValidationFailed.field(
                "prefix", f"prefix must be used together with {country_field}"
            )
        codes = {str(phonenumbers.country_code_for_region(c)) for c in chosen}
        if not any(prefix[1:].startswith(code) or code.startswith(prefix[1:]) for code in codes):
            raise ValidationFailed.field("prefix", "prefix is not in any of the given countries")
    like = contains_to_like(contains) if contains else None
    return Filters(chosen, kind, prefix, like, caps)
