"""Webhook delivery jobs: each attempt is one signed POST, logged as one delivery row.

Due deliveries are handled a batch at a time: planned together, POSTed concurrently, logged and
finished in one transaction. A failed attempt that may be retried (timeout, connection error,
429, 5xx) is retried on ``policy``'s schedule (honouring Retry-After) until the 24 h window
ends, when it is dead-lettered. A final failure (other 4xx, a redirect, a refused target,
410 Gone — which also disables the endpoint) is dead-lettered at once.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.jobs import JobBatch, JobContext, batch_handler, handler
from relaybox.webhooks import delivery, policy, sender, signing
from relaybox.webhooks.delivery import DELIVER_JOB, Attempt, Plan, SecretMissing
from relaybox.webhooks.events import FANOUT_JOB
from relaybox.webhooks.models import FAILED, GAVE_UP, RETRYING, SUCCEEDED, Event


@handler(FANOUT_JOB)
async def fanout(ctx: JobContext) -> None:
    """Routing now happens when an event is emitted; this drains jobs queued before that."""
    event_id = str(ctx.payload["event_id"])

    async def work(session: AsyncSession) -> None:
        event = await session.get(Event, event_id)
        if event is not None:
            await delivery.schedule(session, event)

    await ctx.complete(work)


CONCURRENT_POSTS = 64  # per batch


@batch_handler(DELIVER_JOB, size=100, max_attempts=policy.MAX_ATTEMPTS, backoff=policy.backoff)
async def deliver(batch: JobBatch) -> None:
    rt = batch.runtime
    jobs = [delivery.Job.load(ctx.payload) for ctx in batch.jobs]
    async with rt.db.read() as session:
        plans = await delivery.plan_many(session, rt.box, jobs)
    if any(isinstance(p, SecretMissing) for p in plans):

        async def make_secrets(session: AsyncSession) -> list[Plan | SecretMissing | None]:
            return await delivery.plan_many(session, rt.box, jobs, may_write=True)

        plans = await rt.db.write(make_secrets)

    async def attempt(ctx: JobContext, job: delivery.Job, plan: Plan | None) -> Attempt | None:
        if plan is None:
            return None  # the event no longer exists
        if plan.skip is not None:
            return Attempt(ctx.attempts, FAILED, error=f"not sent: {plan.skip}")
        sent_at = clock.now()
        headers = signing.signature_headers(
            plan.secrets, job.event_id, int(sent_at.timestamp()), plan.body
        )
        result = await sender.post(
            rt.webhook_client, rt.settings, plan.url, headers, plan.body, rt.webhook_tls
        )
        return judge(result, ctx.attempts, clock.now(), job.deadline)

    attempts = await asyncio.gather(
        *(
            attempt(ctx, job, plan if isinstance(plan, Plan) else None)
            for ctx, job, plan in zip(batch.jobs, jobs, plans, strict=True)
        )
    )
    logs: list[tuple[Plan, Attempt]] = []
    for ctx, plan, tried in zip(batch.jobs, plans, attempts, strict=True):
        if tried is None or not isinstance(plan, Plan):
            continue
        logs.append((plan, tried))
        if tried.outcome == SUCCEEDED or plan.skip is not None:
            continue
        if tried.outcome == RETRYING and tried.next_attempt_at is not None:
            wait = (tried.next_attempt_at - clock.now()).total_seconds()
            batch.retry(ctx, tried.error or "retrying", max(0.0, wait))
        else:
            batch.fail(ctx, tried.error or tried.outcome)

    async def log(session: AsyncSession) -> None:
        await delivery.record_many(session, logs)

    await batch.complete(log)  # the log rows and the jobs' outcomes commit together


def judge(result: sender.Result, number: int, now: datetime, deadline: datetime) -> Attempt:
    """What an attempt's result means: delivered, retry (and when), or a final failure."""
    seen = Attempt(
        number,
        FAILED,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        response_body=result.body,
    )
    if result.refused:
        return replace(seen, error=result.error)
    code = result.status_code
    verdict = policy.classify(code) if code is not None else policy.RETRY
    if verdict == policy.OK:
        return replace(seen, outcome=SUCCEEDED)
    if verdict == policy.GONE:
        return replace(seen, error="HTTP 410 Gone: not retried", disable=True)
    if verdict == policy.FINAL:
        if code is not None and 300 <= code < 400:
            return replace(
                seen, error=f"HTTP {code}: redirects are not followed (Location: {result.location})"
            )
        return replace(seen, error=f"HTTP {code}: not retried")
    error = result.error or f"HTTP {code}"
    retry_after = policy.parse_retry_after(result.retry_after, now)
    wait = policy.next_delay(number, now, deadline, retry_after)
    if wait is None:
        return replace(seen, outcome=GAVE_UP, error=f"{error}; gave up: the 24 h window is over")
    return replace(
        seen, outcome=RETRYING, error=error, next_attempt_at=now + timedelta(seconds=wait)
    )
