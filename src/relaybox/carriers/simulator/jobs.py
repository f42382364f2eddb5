"""The simulator's durable receipt timers: each job carries the network ids due together."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.carriers.base import Receipt
from relaybox.carriers.simulator.adapter import NAME, RECEIPT_JOB, mark_delivered
from relaybox.carriers.simulator.models import SimMessage
from relaybox.carriers.simulator.outcomes import outcome_for
from relaybox.jobs import JobBatch, batch_handler


@batch_handler(RECEIPT_JOB, size=100, max_attempts=20)
async def send_receipts(batch: JobBatch) -> None:
    wanted: list[str] = []
    for job in batch.jobs:
        wanted.extend(job.payload.get("network_ids") or [job.payload["network_id"]])
    async with batch.runtime.db.read() as session:
        rows = (
            (await session.execute(select(SimMessage).where(SimMessage.id.in_(wanted))))
            .scalars()
            .all()
        )
    receipts, delivered = [], []
    for row in rows:
        outcome = outcome_for(row.handset)
        if outcome.receipt is None:
            continue
        receipts.append(
            Receipt(
                carrier=NAME,
                carrier_message_id=row.id,
                status=outcome.receipt,  # type: ignore[arg-type]
                event_id=f"{row.id}:{outcome.carrier_status}",
                carrier_status=outcome.carrier_status,
                error_code=outcome.error_code,
                occurred_at=clock.now(),
                raw={"id": row.id, "stat": outcome.carrier_status, "err": outcome.error_code},
            )
        )
        if outcome.receipt == "delivered":
            delivered.append(row.id)
    events = batch.runtime.carrier_events

    async def apply(session: AsyncSession) -> None:
        await events.apply_receipts(session, receipts)
        await mark_delivered(session, delivered)

    await batch.complete(apply)
