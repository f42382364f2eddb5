"""One configured SMPP connection: its binds, its pacing, and submitting a message's parts.

A message's parts go out in order on the connection's least busy transmitter. Only the first
part may fail as retryable (nothing was sent yet, so the job can retry or fail over); once a part
is with the SMSC, a later part that is throttled is retried here for a short while, because
retrying the whole message would send the first parts twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import smpp34

from relaybox.carriers.base import (
    CarrierRejected,
    CarrierThrottled,
    CarrierUnavailable,
    OutboundSms,
    RetryableCarrierError,
    SubmitOutcomeUnknown,
    SubmitResult,
)
from relaybox.carriers.smpp import encode, status
from relaybox.carriers.smpp.config import (
    SmppConfig,
    destination_address,
    source_address,
    validity_period,
)
from relaybox.carriers.smpp.receipts import canonical_format, normalize_id
from relaybox.carriers.smpp.session import Bind, BindType, NotBound
from relaybox.carriers.smpp.throttle import Pacer

log = logging.getLogger("relaybox.carriers.smpp")
MAX_PACING_WAIT = 5.0  # longer than this for a TPS slot: report throttling, free the job
LATER_PART_ATTEMPTS = 5

OnDeliver = Callable[["Connection", smpp34.DeliverSmEvent], Awaitable[None]]


class Connection:
    def __init__(self, config: SmppConfig, on_deliver: OnDeliver) -> None:
        self.config = config
        per_session: list[BindType] = ["TRX"] if config.bind_mode == "transceiver" else ["TX", "RX"]
        types = per_session * config.sessions

        async def deliver(ev: smpp34.DeliverSmEvent) -> None:
            await on_deliver(self, ev)

        self.binds = [Bind(config, t, i, deliver) for i, t in enumerate(types)]
        self.pacer = Pacer(config.tps)
        self.canonical = canonical_format(config.submit_ids, config.receipt_ids)
        self.throttled = 0
        self.rejected = 0
        self.unknown = 0

    @property
    def name(self) -> str:
        return self.config.name

    async def start(self, wait: float) -> None:
        """Start every bind; wait up to ``wait`` seconds for them (an SMSC that is down does not
        stop the process: its binds keep retrying)."""
        for bind in self.binds:
            bind.start()
        if wait > 0:
            await asyncio.gather(*(b.wait_bound(wait) for b in self.binds))

    async def stop(self) -> None:
        await asyncio.gather(*(b.stop() for b in self.binds))

    def transmitter(self) -> Bind | None:
        ready = [b for b in self.binds if b.can_submit]
        return min(ready, key=lambda b: b.in_flight) if ready else None

    def canonical_id(self, raw: str) -> str:
        return f"{self.name}:{normalize_id(raw, self.config.submit_ids, self.canonical)}"

    def fields(self, message: OutboundSms) -> dict[str, Any]:
        src, src_ton, src_npi = source_address(message.sender)
        dst, dst_ton, dst_npi = destination_address(message.to)
        validity = message.validity_seconds
        if self.config.validity_seconds is not None:
            validity = min(validity or self.config.validity_seconds, self.config.validity_seconds)
        return {
            "destination_addr": dst,
            "dest_addr_ton": dst_ton,
            "dest_addr_npi": dst_npi,
            "source_addr": src,
            "source_addr_ton": src_ton,
            "source_addr_npi": src_npi,
            "registered_delivery": 1 if message.want_receipt else 0,
            "validity_period": validity_period(validity),
        }

    async def submit(self, message: OutboundSms) -> SubmitResult:
        parts = encode.parts(
            message.body,
            message.encoding,
            packed=self.config.gsm7 == "packed",
            concat=self.config.concat,
            reference=encode.concat_reference(message.message_id),
        )
        fields = self.fields(message)
        ids: list[str] = []
        for seq, part in enumerate(parts, start=1):
            ids.append(await self._submit_part(part, fields, seq, len(parts)))
        return SubmitResult(
            carrier_message_id=ids[0],
            part_ids=tuple(ids) if len(ids) > 1 else (),
            raw={"connection": self.name, "parts": len(ids)},
        )

    async def _submit_part(
        self, part: encode.Part, fields: dict[str, Any], seq: int, total: int
    ) -> str:
        if seq == 1:
            return await self._once(part, fields)
        last: RetryableCarrierError | None = None
        for _ in range(LATER_PART_ATTEMPTS):
            try:
                return await self._once(part, fields)
            except RetryableCarrierError as err:
                last = err
                await asyncio.sleep(err.retry_after or 1.0)
        raise CarrierRejected(
            f"part {seq} of {total} could not be submitted after the first parts were ({last})",
            error_code=30008,
            carrier_code=last.carrier_code if last else None,
        )

    async def _once(self, part: encode.Part, fields: dict[str, Any]) -> str:
        if not await self.pacer.acquire(MAX_PACING_WAIT):
            self.throttled += 1
            raise CarrierThrottled(
                f"SMPP {self.name} is at its TPS cap", carrier_code="TPS_CAP", retry_after=1.0
            )
        bind = self.transmitter()
        if bind is None:
            raise CarrierUnavailable(f"SMPP {self.name} has no bound transmitter")
        self.pacer.count()
        try:
            resp = await bind.submit(
                self.config.response_timeout,
                short_message=part.short_message,
                esm_class=part.esm_class,
                data_coding=part.data_coding,
                tlvs=[smpp34.Tlv(tag, value) for tag, value in part.tlvs],
                **fields,
            )
        except NotBound as err:
            raise CarrierUnavailable(str(err)) from None
        except (TimeoutError, smpp34.SmppError) as err:
            # written to the socket, or possibly: the SMSC may have the message
            self.unknown += 1
            raise SubmitOutcomeUnknown(
                f"SMPP {self.name}: no submit_sm_resp ({type(err).__name__}: {err})"
            ) from None
        if resp.is_success:
            if not resp.message_id:
                self.unknown += 1
                raise SubmitOutcomeUnknown(f"SMPP {self.name} accepted a submit without an id")
            return self.canonical_id(resp.message_id)
        error = status.error_for(resp.command_status)
        if isinstance(error, CarrierThrottled):
            self.throttled += 1
            self.pacer.slow_down()
        elif isinstance(error, CarrierRejected):
            self.rejected += 1
        raise error

    def health(self) -> dict[str, Any]:
        bound = [b for b in self.binds if b.state == "bound"]
        return {
            "status": "up" if any(b.can_submit for b in self.binds) else "down",
            "binds": [b.health() for b in self.binds],
            "bound": len(bound),
            "in_flight": sum(b.in_flight for b in self.binds),
            "window": self.config.window * sum(1 for b in self.binds if b.bind_type != "RX"),
            "tps": self.pacer.last_second_rate,
            "tps_cap": self.pacer.rate(),
            "slowed_down": self.pacer.slowed,
            "submits": self.pacer.sent,
            "throttled": self.throttled,
            "rejected": self.rejected,
            "unknown": self.unknown,
        }
