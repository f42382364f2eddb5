"""Housekeeping on a durable schedule: expired idempotency records, finished jobs.

Periodic work is a job that enqueues its own next run under a dedupe key naming the period, so
however many workers run, each period runs once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.http.idempotency import purge_expired
from relaybox.jobs import JobContext, enqueue, handler
from relaybox.jobs.models import DONE, Job
from relaybox.storage.database import Database

PERIOD = timedelta(minutes=10)
JOB_RETENTION = timedelta(hours=24)


def _slot(at: datetime) -> datetime:
    epoch = int(at.timestamp())
    step = int(PERIOD.total_seconds())
    return datetime.fromtimestamp(epoch - epoch % step, at.tzinfo)


async def _schedule(session: AsyncSession, at: datetime) -> None:
    slot = _slot(at)
    await enqueue(
        session,
        "maintenance.sweep",
        {},
        run_at=slot,
        dedupe_key=f"maintenance.sweep:{slot.isoformat()}",
    )


async def schedule_maintenance(db: Database) -> None:
    from relaybox.messaging.jobs import schedule_receipt_reconciler

    async def work(session: AsyncSession) -> None:
        await _schedule(session, clock.now())
        await schedule_receipt_reconciler(session, clock.now())

    await db.write(work)


@handler("maintenance.sweep", max_attempts=3)
async def sweep(ctx: JobContext) -> None:
    async def work(session: AsyncSession) -> None:
        now = clock.now()
        await purge_expired(session)
        await session.execute(
            delete(Job).where(Job.state == DONE, Job.finished_at < now - JOB_RETENTION)
        )
        await _schedule(session, now + PERIOD)

    await ctx.complete(work)
