"""The simulator adapter: accepts submits, returns network ids, sends receipts on durable timers.

Every submit is recorded on the simulated network (sim_messages), so the virtual handsets can show
what they received and tests can count duplicate submits (there must be none). Concurrent
submits are recorded together, and share one receipt timer per delay.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.batching import Coalescer
from relaybox.carriers import registry
from relaybox.carriers.base import (
    CarrierEvents,
    CarrierRejected,
    CarrierThrottled,
    CarrierUnavailable,
    OutboundSms,
    SubmitResult,
)
from relaybox.carriers.simulator.models import SimMessage, SimThrottle
from relaybox.carriers.simulator.outcomes import Outcome, outcome_for
from relaybox.jobs import enqueue
from relaybox.storage import raw
from relaybox.storage.base import dialect_insert

if TYPE_CHECKING:
    from relaybox.runtime import Runtime

NAME = "simulator"
RECEIPT_JOB = "simulator.receipt"
_THROTTLED = object()


@dataclass
class _Submit:
    message: OutboundSms
    outcome: Outcome
    delay: float


class SimulatorAdapter:
    name = NAME

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.events: CarrierEvents | None = None
        self.submits = 0
        self.throttled = 0
        self._recorder: Coalescer[_Submit, Any] = Coalescer("simulator-submits", self._record)

    async def start(self, events: CarrierEvents) -> None:
        self.events = events

    async def stop(self) -> None:
        self.events = None
        await self._recorder.stop()

    async def submit(self, message: OutboundSms) -> SubmitResult:
        outcome = outcome_for(message.to)
        if outcome.down:
            raise CarrierUnavailable("simulated carrier is down", carrier_code="DOWN")
        if outcome.landline:
            raise CarrierRejected(
                "destination is a landline", error_code=30006, carrier_code="LANDLINE"
            )
        settings = self.runtime.settings
        delay = (
            settings.simulator_slow_receipt_seconds
            if outcome.slow
            else settings.simulator_receipt_seconds
        )
        network_id = await self._recorder.submit(_Submit(message, outcome, delay))
        if network_id is _THROTTLED:
            self.throttled += 1
            raise CarrierThrottled(
                "simulated carrier throttling", carrier_code="THROTTLED", retry_after=1.0
            )
        self.submits += 1
        return SubmitResult(carrier_message_id=network_id, receipts=outcome.receipt is not None)

    async def _record(self, submits: list[_Submit]) -> list[Any]:
        async def work(session: AsyncSession) -> list[Any]:
            return await record_submits(session, submits)

        result: list[Any] = await self.runtime.db.write(work)
        return result

    async def recover(self, message: OutboundSms) -> SubmitResult | None:
        async with self.runtime.db.read() as session:
            row = (
                await session.execute(
                    select(SimMessage).where(SimMessage.message_id == message.message_id)
                )
            ).scalar_one_or_none()
        if row is None:
            return None
        return SubmitResult(
            carrier_message_id=row.id, receipts=outcome_for(row.handset).receipt is not None
        )

    def health(self) -> dict[str, Any]:
        return {"status": "up", "submits": self.submits, "throttled": self.throttled}


async def _throttle(session: AsyncSession, s: _Submit) -> bool:
    """True when the network refuses this submit (the throttling outcome)."""
    await session.execute(
        dialect_insert(session, SimThrottle)
        .values(message_id=s.message.message_id, remaining=s.outcome.throttle_times)
        .on_conflict_do_nothing(index_elements=["message_id"])
    )
    left = await session.get(SimThrottle, s.message.message_id)
    if left is not None and left.remaining > 0:
        left.remaining -= 1
        return True
    return False


async def record_submits(session: AsyncSession, submits: list[_Submit]) -> list[Any]:
    """Put accepted submits on the network: one insert for all (a repeated message id counts a
    duplicate submit instead), one receipt timer per delay."""
    results: list[Any] = [None] * len(submits)
    accepted: list[tuple[int, _Submit, str]] = []
    for i, s in enumerate(submits):
        if s.outcome.throttle_times and await _throttle(session, s):
            results[i] = _THROTTLED
        else:
            accepted.append((i, s, ids.new_id("sim")))
    if not accepted:
        return results
    now = clock.now()
    rows = [
        (
            network_id,
            "mt",
            s.message.message_id,
            None,
            s.message.to,
            s.message.sender,
            s.message.body,
            s.message.segments,
            s.outcome.name,
            now,
            None,
            0,
        )
        for _, s, network_id in accepted
    ]
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))
    stored = await raw.fetch(
        session,
        "INSERT INTO sim_messages (id, direction, message_id, account_id, handset, counterpart, "
        f"body, segments, outcome, submitted_at, delivered_at, duplicate_submits) VALUES {values} "
        "ON CONFLICT (message_id) DO UPDATE SET duplicate_submits = "
        "sim_messages.duplicate_submits + 1 RETURNING id, message_id",
        tuple(v for row in rows for v in row),
    )
    network_ids = {message_id: network_id for network_id, message_id in stored}
    timers: dict[float, list[str]] = defaultdict(list)
    for i, s, new_id in accepted:
        network_id = network_ids[s.message.message_id]
        results[i] = network_id
        if network_id == new_id and s.outcome.receipt and s.message.want_receipt:
            timers[s.delay].append(network_id)
    for delay, network_ids_due in timers.items():
        await enqueue(
            session,
            RECEIPT_JOB,
            {"network_ids": network_ids_due},
            run_at=now + timedelta(seconds=delay),
        )
    return results


async def mark_delivered(session: AsyncSession, network_ids: list[str]) -> None:
    if network_ids:
        await session.execute(
            update(SimMessage)
            .where(SimMessage.id.in_(network_ids), SimMessage.delivered_at.is_(None))
            .values(delivered_at=clock.now())
        )


registry.register(NAME, SimulatorAdapter)
