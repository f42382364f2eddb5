"""Shared helpers for the SMPP adapter tests: a config for a peer, a recording events sink."""

from __future__ import annotations

import asyncio
from typing import Any

from relaybox.carriers.base import InboundSms, OutboundSms, Receipt
from relaybox.carriers.smpp.config import SmppConfig
from relaybox.domain import encoding
from tests.peers.smsc import Smsc


def config_for(smsc: Smsc, name: str = "peer", **options: Any) -> SmppConfig:
    return SmppConfig(
        name=name,
        host="127.0.0.1",
        port=smsc.port,
        system_id=smsc.system_id,
        password=smsc.password,
        **options,
    )


def outbound(body: str, to: str = "+447700900123", sender: str = "+447700900001", **kw: Any) -> Any:
    enc = encoding.analyze(body)
    counter = getattr(outbound, "n", 0) + 1
    outbound.n = counter  # type: ignore[attr-defined]
    return OutboundSms(
        message_id=kw.pop("message_id", f"sms_test{counter:06d}"),
        to=to,
        sender=sender,
        body=body,
        encoding=enc.encoding,
        segments=enc.segments,
        **kw,
    )


class Recorder:
    """A CarrierEvents sink that keeps what it is given."""

    def __init__(self) -> None:
        self.receipts: list[Receipt] = []
        self.mo: list[InboundSms] = []
        self.changed = asyncio.Event()

    async def receipt(self, receipt: Receipt) -> None:
        self.receipts.append(receipt)
        self.changed.set()

    async def inbound(self, message: InboundSms) -> None:
        self.mo.append(message)
        self.changed.set()

    async def wait(self, receipts: int = 0, inbound: int = 0, timeout: float = 5) -> None:
        async with asyncio.timeout(timeout):
            while len(self.receipts) < receipts or len(self.mo) < inbound:
                self.changed.clear()
                await self.changed.wait()
