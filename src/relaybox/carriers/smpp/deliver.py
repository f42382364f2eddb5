"""A deliver_sm as one of our carrier events: a Receipt (esm_class receipt bit) or an InboundSms.

MO messages carry no id an SMSC keeps stable across redeliveries, so an MO part's external id is
a digest of what identifies it (connection, addresses, concatenation, payload) within a
``MO_DEDUPE_WINDOW``: a redelivered part shares its id and is stored once, while the same text
sent again by the handset later is a new message.
"""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any, Protocol

from relaybox.carriers.base import InboundSms, Receipt
from relaybox.carriers.smpp import encode, receipts
from relaybox.carriers.smpp.config import IdFormat, SmppConfig

MO_DEDUPE_WINDOW = 600  # seconds


class DeliverLike(Protocol):
    @property
    def source_addr(self) -> str: ...
    @property
    def source_addr_ton(self) -> int: ...
    @property
    def destination_addr(self) -> str: ...
    @property
    def dest_addr_ton(self) -> int: ...
    @property
    def esm_class(self) -> int: ...
    @property
    def data_coding(self) -> int: ...
    @property
    def short_message(self) -> bytes: ...


def tlv_map(tlvs: list[Any]) -> dict[int, bytes]:
    return {int(t.tag): bytes(t.value) for t in tlvs}


def is_receipt(esm_class: int) -> bool:
    return esm_class & encode.ESM_TYPE_MASK == encode.ESM_RECEIPT


def e164(address: str, ton: int) -> str:
    """International numbers get their '+'; short codes and alphanumerics stay as they are."""
    if address.isdigit() and (ton == 1 or len(address) > 8):
        return "+" + address
    return address


def _raw(ev: DeliverLike, tlvs: dict[int, bytes]) -> dict[str, Any]:
    return {
        "source_addr": ev.source_addr,
        "destination_addr": ev.destination_addr,
        "esm_class": ev.esm_class,
        "data_coding": ev.data_coding,
        "short_message": ev.short_message.hex(),
        "tlvs": {f"0x{tag:04x}": value.hex() for tag, value in tlvs.items()},
    }


def to_event(
    ev: DeliverLike,
    tlvs: dict[int, bytes],
    *,
    carrier: str,
    config: SmppConfig,
    canonical: IdFormat,
    now: float | None = None,
) -> Receipt | InboundSms | None:
    raw = _raw(ev, tlvs)
    if is_receipt(ev.esm_class):
        parsed = receipts.parse(ev.short_message, tlvs)
        if parsed is None:
            return None
        return receipts.to_receipt(
            parsed,
            carrier=carrier,
            connection=config.name,
            written=config.receipt_ids,
            canonical=canonical,
            raw=raw,
        )
    mo = encode.decode_mo(
        ev.short_message, ev.esm_class, ev.data_coding, tlvs, packed=config.gsm7 == "packed"
    )
    window = int((time.time() if now is None else now) // MO_DEDUPE_WINDOW)
    concat = mo.concat
    digest = hashlib.sha256(
        "|".join(
            [
                config.name,
                ev.source_addr,
                ev.destination_addr,
                f"{concat.bits}:{concat.reference}:{concat.total}:{concat.seq}" if concat else "",
                str(ev.data_coding),
                ev.short_message.hex(),
                tlvs.get(encode.TAG_MESSAGE_PAYLOAD, b"").hex(),
                str(window),
            ]
        ).encode()
    ).hexdigest()[:40]
    return InboundSms(
        carrier=carrier,
        external_id=f"{config.name}:mo:{digest}",
        sender=e164(ev.source_addr, ev.source_addr_ton),
        to=e164(ev.destination_addr, ev.dest_addr_ton),
        body=mo.text,
        received_at=datetime.now(UTC),
        concat_ref=f"{config.name}:{concat.bits}:{concat.reference}" if concat else None,
        part_total=concat.total if concat else 1,
        part_seq=concat.seq if concat else 1,
        raw=raw,
    )
