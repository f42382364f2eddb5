"""Delivery receipts (pure): the text form of SMPP 3.4 appendix B, the receipt TLVs, id spelling.

SMSCs disagree on how they write one message id: hex in submit_sm_resp and decimal in the
receipt, upper or lower case, with or without leading zeros. ``normalize_id`` gives every id one
canonical spelling, applied to submit results and receipts alike, so correlation in the database
is an exact match. The connection name is part of the canonical id, because two SMSCs can hand
out the same id.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from relaybox.carriers.base import Receipt, ReceiptStatus
from relaybox.carriers.smpp.config import IdFormat

TAG_RECEIPTED_MESSAGE_ID = 0x001E
TAG_MESSAGE_STATE = 0x0427
TAG_NETWORK_ERROR_CODE = 0x0423

# message_state TLV values (SMPP 3.4 5.2.28) and the words receipts use for them.
MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}

# stat word -> (our receipt status, relaybox error code when it is not a success)
STATUS: dict[str, tuple[ReceiptStatus, int | None]] = {
    "DELIVRD": ("delivered", None),
    "ACCEPTD": ("accepted", None),
    "ENROUTE": ("accepted", None),
    "UNDELIV": ("undelivered", 30003),  # unreachable handset
    "EXPIRED": ("expired", 30036),  # validity period expired
    "REJECTD": ("failed", 30007),  # filtered or blocked by the network
    "DELETED": ("failed", 30008),
    "UNKNOWN": ("failed", 30008),
}

# Network error codes (the receipt's err:) that say more than the stat word.
NETWORK_ERRORS: dict[str, int] = {
    "001": 30005,  # unknown subscriber
    "011": 30005,  # teleservice not provisioned / unknown
    "013": 30004,  # call barred
    "027": 30003,  # absent subscriber
    "031": 30003,  # subscriber busy
    "034": 30003,  # system failure toward the handset
}

_FIELD = re.compile(
    r"(?P<key>id|sub|dlvrd|submit date|done date|stat|err|text)\s*:\s*(?P<value>\S*)",
    re.IGNORECASE,
)


def normalize_id(raw: str, written: IdFormat = "text", canonical: IdFormat = "text") -> str:
    """One spelling per id: trimmed, lower case, no leading zeros; converted to decimal when the
    connection writes this id in hex and the other one in decimal (``canonical``)."""
    value = raw.strip().strip("\x00").lower()
    if written != canonical and canonical == "decimal" and written == "hex":
        with contextlib.suppress(ValueError):
            value = str(int(value, 16))
    stripped = value.lstrip("0")
    return stripped or ("0" if value else "")


def canonical_format(submit_ids: IdFormat, receipt_ids: IdFormat) -> IdFormat:
    """Decimal when the two forms differ (both convert to it), else text as written."""
    return "decimal" if {submit_ids, receipt_ids} == {"hex", "decimal"} else "text"


@dataclass(frozen=True)
class ParsedReceipt:
    message_id: str  # as written by the SMSC
    stat: str  # DELIVRD, UNDELIV, ...
    err: str | None
    done: datetime | None
    fields: dict[str, str]


def _text_fields(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for m in _FIELD.finditer(text):
        key = m.group("key").lower()
        if key == "text":
            break  # the rest is the message's first characters, not fields
        found.setdefault(key, m.group("value"))
    return found


def _date(value: str | None) -> datetime | None:
    if not value or not value.isdigit():
        return None
    for fmt in ("%y%m%d%H%M%S", "%y%m%d%H%M"):
        try:
            return datetime.strptime(value, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _c_string(value: bytes) -> str:
    return value.split(b"\x00", 1)[0].decode("latin-1")


def parse(short_message: bytes, tlvs: dict[int, bytes]) -> ParsedReceipt | None:
    """The receipt in a deliver_sm, TLVs first (they are exact) then the text; None if neither
    names a message id and a state."""
    fields = _text_fields(short_message.decode("latin-1"))
    message_id = fields.get("id")
    stat = fields.get("stat", "").upper() or None
    if TAG_RECEIPTED_MESSAGE_ID in tlvs:
        message_id = _c_string(tlvs[TAG_RECEIPTED_MESSAGE_ID]) or message_id
    state = tlvs.get(TAG_MESSAGE_STATE)
    if state:
        stat = MESSAGE_STATES.get(state[0], stat or "UNKNOWN")
    if not message_id or not stat:
        return None
    err = fields.get("err")
    network = tlvs.get(TAG_NETWORK_ERROR_CODE)
    if err is None and network is not None and len(network) == 3:
        err = f"{int.from_bytes(network[1:], 'big'):03d}"
    return ParsedReceipt(message_id, stat, err, _date(fields.get("done date")), fields)


def to_receipt(
    parsed: ParsedReceipt,
    *,
    carrier: str,
    connection: str,
    written: IdFormat,
    canonical: IdFormat,
    raw: dict[str, Any],
) -> Receipt:
    status, code = STATUS.get(parsed.stat, ("failed", 30008))
    if code is not None and parsed.err and parsed.err.strip("0"):
        code = NETWORK_ERRORS.get(parsed.err.zfill(3), code)
    message_id = f"{connection}:{normalize_id(parsed.message_id, written, canonical)}"
    return Receipt(
        carrier=carrier,
        carrier_message_id=message_id,
        status=status,
        event_id=f"{message_id}:{parsed.stat}",
        carrier_status=parsed.stat,
        error_code=code,
        carrier_error=parsed.err,
        occurred_at=parsed.done,
        raw=raw,
    )
