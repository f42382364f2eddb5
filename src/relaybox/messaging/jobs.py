"""Handing messages to carriers, a batch of submit jobs at a time, at most once each.

Before submitting, a retry must know the previous attempt never reached the carrier
(``clean_attempt``); otherwise it asks the carrier (``adapter.recover``) and resubmits only when
the carrier certainly does not have the message.
"""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.carriers.base import (
    CarrierRejected,
    OutboundSms,
    RetryableCarrierError,
    SubmitOutcomeUnknown,
)
from relaybox.jobs import JobBatch, JobContext, batch_handler, enqueue, handler
from relaybox.messaging import lifecycle
from relaybox.messaging.service import SUBMIT_JOB
from relaybox.storage import raw

UNKNOWN_MESSAGE = (
    "The carrier may or may not have received this message (the submit was "
    "interrupted); it was not resubmitted, to avoid a duplicate."
)


def submit_backoff(attempt: int) -> float:
    return min(300.0, 2.0 ** min(attempt, 12)) * (0.5 + random.random() / 2)


@batch_handler(SUBMIT_JOB, size=200, max_attempts=1000, backoff=submit_backoff, timeout=45)
async def submit(batch: JobBatch) -> None:
    rt = batch.runtime
    async with rt.db.read() as session:
        messages = await lifecycle.load(session, [j.payload["message_id"] for j in batch.jobs])
    submitted: list[lifecycle.Submitted] = []
    failed: list[lifecycle.Failure] = []
    clean: list[tuple[int, str]] = []
    now = clock.now()

    async def one(job: JobContext) -> None:
        m = messages.get(job.payload["message_id"])
        if m is None or m.status not in ("accepted", "queued"):
            return
        if now >= m.expires_at:
            failed.append((m.id, lifecycle.EXPIRED_CODE, lifecycle.EXPIRED_TEXT, "expired"))
            return
        adapter = rt.carriers.for_traffic(m.test)
        outbound = OutboundSms(
            message_id=m.id,
            to=m.to,
            sender=m.sender,
            body=m.body,
            encoding=m.encoding,
            segments=m.segments,
            want_receipt=True,
            validity_seconds=max(1, int((m.expires_at - now).total_seconds())),
            attempt=job.attempts,
            test=m.test,
        )
        unknown = (m.id, lifecycle.UNKNOWN_CODE, UNKNOWN_MESSAGE, "failed")
        try:
            if job.attempts > 1 and m.clean_attempt != job.attempts - 1:
                recovered = await adapter.recover(outbound)
                if recovered is not None:
                    submitted.append((m.id, adapter.name, recovered))
                    return
            result = await adapter.submit(outbound)
        except CarrierRejected as err:
            failed.append((m.id, err.error_code, str(err), err.status))
        except SubmitOutcomeUnknown:
            failed.append(unknown)
        except RetryableCarrierError as err:
            clean.append((job.attempts, m.id))  # it certainly did not reach the carrier
            batch.retry(job, f"{type(err).__name__}: {err}", err.retry_after)
        except Exception as err:  # a bug, or an adapter breaking its contract: ask next time
            batch.retry(job, f"{type(err).__name__}: {err}")
        else:
            submitted.append((m.id, adapter.name, result))

    await asyncio.gather(*(one(job) for job in batch.jobs))

    async def record(session: AsyncSession) -> Any:
        await raw.execute_many(
            session, "UPDATE sms_messages SET clean_attempt = ? WHERE id = ?", clean
        )
        await lifecycle.record_submitted_many(session, submitted)
        await lifecycle.record_failed_many(session, failed)

    await batch.complete(record)


RECONCILE_JOB = "sms.receipts.reconcile"
RECONCILE_EVERY = 5  # seconds


async def schedule_receipt_reconciler(session: AsyncSession, at: datetime) -> None:
    """The next run of the reconciler, once however many workers schedule it."""
    epoch = int(at.timestamp())
    slot = datetime.fromtimestamp(epoch - epoch % RECONCILE_EVERY, at.tzinfo)
    await enqueue(
        session, RECONCILE_JOB, {}, run_at=slot, dedupe_key=f"{RECONCILE_JOB}:{slot.isoformat()}"
    )


@handler(RECONCILE_JOB, max_attempts=3)
async def reconcile_receipts(ctx: JobContext) -> None:
    async def work(session: AsyncSession) -> None:
        await lifecycle.apply_pending_receipts(session)
        await schedule_receipt_reconciler(session, clock.now() + timedelta(seconds=RECONCILE_EVERY))

    await ctx.complete(work)
