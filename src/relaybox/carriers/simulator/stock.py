"""The simulator carrier's number inventory: valid numbers made up on demand.

Each (country, type) has a few national prefixes (area codes, mobile ranges, toll-free ranges)
and national lengths. Candidates are random digits after a prefix; libphonenumber decides: a
candidate is kept only when it is a valid number of the wanted type. NANP numbers in the 555
exchange (fictional, and the sandbox's virtual handsets) are never handed out. US and CA short
codes are 5-6 digit codes, which libphonenumber does not cover.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

LOCAL, MOBILE, TOLL_FREE, SHORT_CODE = "local", "mobile", "toll_free", "short_code"

# libphonenumber types that count as each of our number types
ACCEPTED = {
    LOCAL: {PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE},
    MOBILE: {PhoneNumberType.MOBILE},
    TOLL_FREE: {PhoneNumberType.TOLL_FREE},
}


@dataclass(frozen=True)
class Range:
    prefixes: tuple[str, ...]  # national prefixes (area codes, mobile ranges)
    lengths: tuple[int, ...]  # national significant number lengths


_US_AREA_CODES = "212 213 206 305 312 404 415 503 512 602 617 646 702 713 718 720 773 786 818 917"
_NANP_TOLL_FREE = Range(("800", "833", "844", "855", "866", "877", "888"), (10,))

# What the simulator stocks: (country, type) -> ranges.
RANGES: dict[tuple[str, str], Range] = {
    ("US", LOCAL): Range(tuple(_US_AREA_CODES.split()), (10,)),
    ("US", TOLL_FREE): _NANP_TOLL_FREE,
    ("CA", LOCAL): Range(("416", "437", "514", "604", "613", "647", "778", "403", "780"), (10,)),
    ("CA", TOLL_FREE): _NANP_TOLL_FREE,
    ("GB", MOBILE): Range(("74", "75", "77", "78", "79"), (10,)),
    ("GB", LOCAL): Range(("20", "121", "131", "141", "161", "113", "117"), (10,)),
    ("GB", TOLL_FREE): Range(("800", "808"), (10,)),
    ("DE", MOBILE): Range(("151", "152", "157", "160", "170", "171", "172", "176", "179"), (11,)),
    ("DE", LOCAL): Range(("30", "40", "89", "69", "221"), (10, 11)),
    ("DE", TOLL_FREE): Range(("800",), (10, 13)),
    ("FR", MOBILE): Range(("6", "7"), (9,)),
    ("FR", LOCAL): Range(("1", "2", "3", "4", "5"), (9,)),
    ("FR", TOLL_FREE): Range(("800", "805"), (9,)),
    ("NL", MOBILE): Range(("6",), (9,)),
    ("NL", LOCAL): Range(("20", "10", "30", "70", "40"), (9,)),
    ("NL", TOLL_FREE): Range(("800",), (7, 10)),
    ("IN", MOBILE): Range(("98", "97", "99", "88", "90"), (10,)),
    ("IN", LOCAL): Range(("11", "22", "80", "33", "44"), (10,)),
    ("IN", TOLL_FREE): Range(("1800",), (10, 11)),
    ("BR", MOBILE): Range(("119", "219", "319", "619"), (11,)),
    ("BR", LOCAL): Range(("113", "212", "313", "613"), (10,)),
    ("BR", TOLL_FREE): Range(("800",), (10, 9)),
    ("AU", MOBILE): Range(("4",), (9,)),
    ("AU", LOCAL): Range(("2", "3", "7", "8"), (9,)),
    ("AU", TOLL_FREE): Range(("1800",), (10,)),
}
SHORT_CODE_COUNTRIES = ("US", "CA")
NANP = ("US", "CA")


def supplied() -> list[tuple[str, str]]:
    """Every (country, type) the simulator stocks."""
    return [*RANGES, *((c, SHORT_CODE) for c in SHORT_CODE_COUNTRIES)]


def is_fictional(e164: str) -> bool:
    """NANP 555 exchange numbers and area codes 500/555 are the sandbox's; never stocked."""
    return e164.startswith("+1") and (e164[5:8] == "555" or e164[2:5] in ("500", "555"))


def classify(e164: str) -> tuple[str, str] | None:
    """(country, our type) of a valid number, or None when it is not one we can stock."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number) or is_fictional(e164):
        return None
    region: str | None = phonenumbers.region_code_for_number(number)
    if not region:
        return None
    kind = phonenumbers.number_type(number)
    for ours, theirs in ACCEPTED.items():
        if kind in theirs:
            return region, ours
    return None


def matches(e164: str, country: str, kind: str) -> bool:
    """Is ``e164`` a valid ``kind`` number of ``country``? (NANP toll-free numbers are shared:
    one valid in the country counts even when libphonenumber names another region first.)"""
    found = classify(e164)
    if found is None:
        return False
    region, ours = found
    if ours != kind:
        return False
    if region == country:
        return True
    # libphonenumber files a NANP toll-free number under one region; it must still be valid in
    # the country that sells it (some 800 ranges are valid only in the Dominican Republic).
    return phonenumbers.is_valid_number_for_region(phonenumbers.parse(e164, None), country)


def generate(
    country: str,
    kind: str,
    count: int,
    *,
    national_prefix: str | None = None,
    exclude: set[str] | None = None,
    rng: random.Random | None = None,
) -> list[str]:
    """Up to ``count`` distinct valid numbers (E.164, or bare digits for short codes)."""
    rng = rng or random.Random()
    exclude = exclude or set()
    if kind == SHORT_CODE:
        return _short_codes(country, count, national_prefix, exclude, rng)
    spec = RANGES.get((country, kind))
    if spec is None:
        return []
    calling_code = phonenumbers.country_code_for_region(country)
    prefixes = (national_prefix,) if national_prefix is not None else spec.prefixes
    found: list[str] = []
    seen = set(exclude)
    attempts = 0
    while len(found) < count and attempts < count * 60 + 200:
        attempts += 1
        prefix = rng.choice(prefixes)
        length = rng.choice(spec.lengths)
        if len(prefix) >= length:
            break
        national = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
        e164 = f"+{calling_code}{national}"
        if e164 in seen:
            continue
        seen.add(e164)
        if matches(e164, country, kind):
            found.append(e164)
    return found


def _short_codes(
    country: str, count: int, prefix: str | None, exclude: set[str], rng: random.Random
) -> list[str]:
    if country not in SHORT_CODE_COUNTRIES:
        return []
    found: list[str] = []
    seen = set(exclude)
    start = prefix or ""
    for _ in range(count * 20):
        if len(found) >= count:
            break
        length = rng.choice((5, 6))
        if len(start) >= length:
            break
        code = start + "".join(rng.choice("0123456789") for _ in range(length - len(start)))
        if code[0] in "01" or code in seen:
            continue
        seen.add(code)
        found.append(code)
    return found
