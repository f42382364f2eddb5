"""SMS character encoding and segmentation (3GPP TS 23.038 / 23.040).

GSM-7: 160 septets in one segment, 153 per segment when concatenated (the UDH takes 7).
Extension-table characters cost two septets (0x1B escape + code); an escape pair never splits.
Any character outside GSM-7 makes the whole message UCS-2: 70 UTF-16 code units in one segment,
67 per segment concatenated; characters outside the BMP are surrogate pairs (2 units, never split).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]
GSM7: Encoding = "GSM-7"
UCS2: Encoding = "UCS-2"

# The default alphabet; index = septet value. Index 0x1B is the escape to the extension table.
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
ESCAPE = 0x1B
GSM7_EXTENDED: dict[str, int] = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_BASIC_CODE = {ch: i for i, ch in enumerate(GSM7_BASIC) if i != ESCAPE}
_EXTENDED_CHAR = {code: ch for ch, code in GSM7_EXTENDED.items()}

SINGLE = {GSM7: 160, UCS2: 70}
MULTI = {GSM7: 153, UCS2: 67}

# Typographic characters and their GSM-7 look-alikes (used only when that makes text GSM-7).
SMART = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u2039": "'",
    "\u203a": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u00a0": " ",
    "\u2009": " ",
    "\u200a": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u202f": " ",
    "\u200b": "",
    "\ufeff": "",
    "\u2022": "*",
    "\u00b7": ".",
    "\u02c6": "^",
    "\u02dc": "~",
}


@dataclass(frozen=True)
class Encoded:
    encoding: Encoding
    units: int  # septets (GSM-7, escapes included) or UTF-16 code units (UCS-2)
    segments: int
    parts: tuple[str, ...]  # the text of each segment


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC_CODE or ch in GSM7_EXTENDED for ch in text)


def _cost(ch: str, encoding: Encoding) -> int:
    if encoding == GSM7:
        return 2 if ch in GSM7_EXTENDED else 1
    return 2 if ord(ch) > 0xFFFF else 1


def _split(text: str, encoding: Encoding) -> tuple[int, tuple[str, ...]]:
    units = sum(_cost(ch, encoding) for ch in text)
    if units <= SINGLE[encoding]:
        return units, (text,)
    limit = MULTI[encoding]
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        cost = _cost(ch, encoding)
        if used + cost > limit:  # a 2-unit character never straddles two segments
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += cost
    parts.append("".join(current))
    return units, tuple(parts)


def smart_gsm7(text: str) -> str | None:
    """``text`` with typographic characters replaced, if that makes it GSM-7; else None."""
    replaced = "".join(SMART.get(ch, ch) for ch in text)
    return replaced if is_gsm7(replaced) else None


def analyze(body: str, *, smart: bool = False) -> Encoded:
    """Encoding, length in units, and segments of an SMS body."""
    text = body
    if smart and not is_gsm7(body):
        text = smart_gsm7(body) or body
    encoding = GSM7 if is_gsm7(text) else UCS2
    units, parts = _split(text, encoding)
    return Encoded(encoding, units, len(parts), parts)


# -- bytes (for SMPP and friends) ------------------------------------------------------------


def encode_gsm7(text: str) -> bytes:
    """One septet per byte (unpacked), extension characters as 0x1B + code."""
    out = bytearray()
    for ch in text:
        code = _BASIC_CODE.get(ch)
        if code is not None:
            out.append(code)
        elif ch in GSM7_EXTENDED:
            out += bytes((ESCAPE, GSM7_EXTENDED[ch]))
        else:
            raise ValueError(f"{ch!r} is not in the GSM-7 alphabet")
    return bytes(out)


def decode_gsm7(data: bytes) -> str:
    out: list[str] = []
    escaped = False
    for byte in data:
        septet = byte & 0x7F
        if escaped:
            out.append(_EXTENDED_CHAR.get(septet, GSM7_BASIC[septet] if septet != ESCAPE else " "))
            escaped = False
        elif septet == ESCAPE:
            escaped = True
        else:
            out.append(GSM7_BASIC[septet])
    return "".join(out)


def pack_septets(data: bytes, fill_bits: int = 0) -> bytes:
    """Pack 7-bit septets into octets, LSB first, after ``fill_bits`` zero bits (UDH padding)."""
    if not 0 <= fill_bits <= 6:
        raise ValueError("fill_bits must be 0-6")
    out = bytearray()
    acc, nbits = 0, fill_bits
    for septet in data:
        acc |= (septet & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack_septets(data: bytes, count: int, fill_bits: int = 0) -> bytes:
    """The first ``count`` septets of packed ``data`` (skipping ``fill_bits`` padding bits)."""
    acc = int.from_bytes(data, "little") >> fill_bits
    return bytes((acc >> (7 * i)) & 0x7F for i in range(count))


def encode_ucs2(text: str) -> bytes:
    return text.encode("utf-16-be")


def decode_ucs2(data: bytes) -> str:
    return data.decode("utf-16-be", errors="replace")


def split_for_udh(text: str, encoding: Encoding) -> list[bytes]:
    """The encoded payload of each segment (unpacked GSM-7 septets, or UCS-2 bytes)."""
    _, parts = _split(text, encoding)
    encode = encode_gsm7 if encoding == GSM7 else encode_ucs2
    return [encode(part) for part in parts]
