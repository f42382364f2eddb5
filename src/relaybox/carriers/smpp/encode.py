"""What goes into submit_sm, and what comes out of an MO deliver_sm (pure, no I/O).

Segmenting (153 GSM-7 septets / 67 UCS-2 units per part, escape pairs and surrogate pairs never
split) and the alphabets come from ``relaybox.domain.encoding``; this module only adds SMPP's
framing: data_coding, the UDH or SAR TLVs, and septet packing.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from relaybox.domain import encoding

DC_DEFAULT, DC_IA5, DC_LATIN1, DC_UCS2 = 0x00, 0x01, 0x03, 0x08
ESM_UDHI = 0x40
ESM_RECEIPT = 0x04
ESM_TYPE_MASK = 0x3C  # message type bits of esm_class (receipt, acknowledgements, ...)
IEI_CONCAT_8 = 0x00
IEI_CONCAT_16 = 0x08
TAG_SAR_MSG_REF_NUM = 0x020C
TAG_SAR_TOTAL_SEGMENTS = 0x020E
TAG_SAR_SEGMENT_SEQNUM = 0x020F
TAG_MESSAGE_PAYLOAD = 0x0424
CR = 0x0D


@dataclass(frozen=True)
class Part:
    short_message: bytes
    data_coding: int
    esm_class: int = 0
    tlvs: tuple[tuple[int, bytes], ...] = ()


def concat_reference(message_id: str) -> int:
    """A 16-bit reference derived from our message id, so a retry reuses the same one."""
    return zlib.crc32(message_id.encode()) & 0xFFFF


def _pack(septets: bytes, fill_bits: int) -> bytes:
    """Packed septets; when the last octet would carry 7 spare bits, they hold a CR (23.038
    6.1.2.3.1), so a receiver does not read a trailing '@'."""
    if (len(septets) * 7 + fill_bits) % 8 == 1:
        septets += bytes((CR,))
    return encoding.pack_septets(septets, fill_bits)


def parts(
    body: str,
    enc: encoding.Encoding,
    *,
    packed: bool = False,
    concat: str = "udh",
    reference: int = 0,
) -> list[Part]:
    """The submit_sm payloads for ``body``: one, or several with concatenation headers."""
    if enc == encoding.GSM7 and not encoding.is_gsm7(body):
        body = encoding.smart_gsm7(body) or body
        enc = encoding.GSM7 if encoding.is_gsm7(body) else encoding.UCS2
    payloads = encoding.split_for_udh(body, enc)
    gsm = enc == encoding.GSM7
    data_coding = DC_DEFAULT if gsm else DC_UCS2
    total = len(payloads)
    if total == 1:
        data = _pack(payloads[0], 0) if gsm and packed else payloads[0]
        return [Part(data, data_coding)]
    if total > 255:
        raise ValueError("a message cannot have more than 255 parts")
    out: list[Part] = []
    for seq, payload in enumerate(payloads, start=1):
        if concat == "sar":
            data = _pack(payload, 0) if gsm and packed else payload
            tlvs = (
                (TAG_SAR_MSG_REF_NUM, reference.to_bytes(2, "big")),
                (TAG_SAR_TOTAL_SEGMENTS, bytes((total,))),
                (TAG_SAR_SEGMENT_SEQNUM, bytes((seq,))),
            )
            out.append(Part(data, data_coding, 0, tlvs))
            continue
        udh = bytes((5, IEI_CONCAT_8, 3, reference & 0xFF, total, seq))
        # 6 UDH octets are 48 bits; one fill bit puts the text on a septet boundary (49 = 7 x 7)
        data = _pack(payload, 1) if gsm and packed else payload
        out.append(Part(udh + data, data_coding, ESM_UDHI))
    return out


# -- MO -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concat:
    reference: int
    total: int
    seq: int
    bits: int  # 8 or 16: the reference's width (a different width is a different message)


def split_udh(short_message: bytes) -> tuple[bytes, bytes]:
    """(UDH including its length octet, payload)."""
    if not short_message:
        return b"", b""
    length = short_message[0] + 1
    return short_message[:length], short_message[length:]


def concat_from_udh(udh: bytes) -> Concat | None:
    i = 1
    while i + 1 < len(udh):
        iei, size = udh[i], udh[i + 1]
        value = udh[i + 2 : i + 2 + size]
        if iei == IEI_CONCAT_8 and size == 3 and len(value) == 3:
            return Concat(value[0], value[1], value[2], 8)
        if iei == IEI_CONCAT_16 and size == 4 and len(value) == 4:
            return Concat(int.from_bytes(value[:2], "big"), value[2], value[3], 16)
        i += 2 + size
    return None


def concat_from_tlvs(tlvs: dict[int, bytes]) -> Concat | None:
    ref, total, seq = (
        tlvs.get(TAG_SAR_MSG_REF_NUM),
        tlvs.get(TAG_SAR_TOTAL_SEGMENTS),
        tlvs.get(TAG_SAR_SEGMENT_SEQNUM),
    )
    if ref is None or not total or not seq:
        return None
    return Concat(int.from_bytes(ref, "big"), total[0], seq[0], 16)


def _unpack(data: bytes, fill_bits: int) -> bytes:
    count = (len(data) * 8 - fill_bits) // 7
    septets = encoding.unpack_septets(data, count, fill_bits)
    if (count * 7 + fill_bits) % 8 == 0 and septets.endswith(bytes((CR,))) and count:
        # the padding CR of a packed message whose last octet had 7 spare bits
        septets = septets[:-1]
    return septets


def decode_text(payload: bytes, data_coding: int, *, packed: bool, udh_length: int = 0) -> str:
    """Text of an MO payload (after its UDH) by data_coding: 0 GSM-7 (packed or unpacked, per
    connection), 1 ASCII, 3 Latin-1, 8 UCS-2; anything else is read as Latin-1."""
    coding = data_coding & 0xFF
    if coding in (DC_DEFAULT, 0xF0):
        if packed:
            fill = (7 - (udh_length * 8) % 7) % 7
            return encoding.decode_gsm7(_unpack(payload, fill))
        return encoding.decode_gsm7(payload)
    if coding == DC_UCS2:
        return encoding.decode_ucs2(payload)
    if coding == DC_IA5:
        return payload.decode("ascii", errors="replace")
    return payload.decode("latin-1")


@dataclass(frozen=True)
class MoText:
    text: str
    concat: Concat | None


def decode_mo(
    short_message: bytes, esm_class: int, data_coding: int, tlvs: dict[int, bytes], *, packed: bool
) -> MoText:
    body = short_message or tlvs.get(TAG_MESSAGE_PAYLOAD, b"")
    concat: Concat | None = None
    udh_length = 0
    if esm_class & ESM_UDHI:
        udh, body = split_udh(body)
        udh_length = len(udh)
        concat = concat_from_udh(udh)
    if concat is None:
        concat = concat_from_tlvs(tlvs)
    text = decode_text(body, data_coding, packed=packed, udh_length=udh_length)
    return MoText(text, concat)
