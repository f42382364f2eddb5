"""Durable jobs on SQLite and PostgreSQL: atomic enqueue, scheduling, retries, dead letters,
lease expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.clock import FrozenClock
from relaybox.jobs import enqueue
from relaybox.jobs.models import DEAD, DONE, QUEUED, RUNNING, Job
from relaybox.jobs.runner import Runner
from relaybox.runtime import Runtime
from tests.jobs import handlers


async def jobs_by_state(rt: Runtime) -> dict[str, int]:
    async with rt.db.read() as s:
        rows = await s.execute(select(Job.state, func.count()).group_by(Job.state))
        return {state: count for state, count in rows.all()}


async def test_rollback_leaves_no_job(runtime: Runtime) -> None:
    async def work(s: AsyncSession) -> None:
        await enqueue(s, "test.record", {"n": 1})
        raise RuntimeError("the cause failed")

    with pytest.raises(RuntimeError):
        await runtime.db.write(work)
    assert await jobs_by_state(runtime) == {}


async def test_commit_keeps_job_and_runner_runs_it(runtime: Runtime) -> None:
    async def work(s: AsyncSession) -> None:
        await enqueue(s, "test.record", {"n": 1})

    await runtime.db.write(work)
    assert await jobs_by_state(runtime) == {QUEUED: 1}
    assert await Runner(runtime).drain() == 1
    assert await jobs_by_state(runtime) == {DONE: 1}


async def test_scheduled_job_waits_for_its_time(runtime: Runtime, frozen: FrozenClock) -> None:
    async def work(s: AsyncSession) -> None:
        await enqueue(s, "test.record", {"n": 1}, run_at=frozen.now() + timedelta(minutes=5))

    await runtime.db.write(work)
    runner = Runner(runtime)
    assert await runner.drain() == 0
    frozen.advance(299)
    assert await runner.drain() == 0
    frozen.advance(2)
    assert await runner.drain() == 1


async def test_dedupe_key_enqueues_once(runtime: Runtime) -> None:
    async def work(s: AsyncSession) -> None:
        await enqueue(s, "test.record", {"n": 1}, dedupe_key="once")
        await enqueue(s, "test.record", {"n": 2}, dedupe_key="once")

    await runtime.db.write(work)
    await runtime.db.write(work)
    assert await jobs_by_state(runtime) == {QUEUED: 1}


async def test_retry_with_backoff_then_success(runtime: Runtime, frozen: FrozenClock) -> None:
    async def work(s: AsyncSession) -> None:
        await enqueue(s, "test.flaky", {"n": 7, "succeed_on": 3})

    await runtime.db.write(work)
    runner = Runner(runtime)
    await runner.drain()
    assert handlers.ATTEMPTS[7] == 1
    async with runtime.db.read() as s:
        job = (await s.execute(select(Job))).scalar_one()
    assert job.state == QUEUED and "attempt 1 fails" in (job.last_error or "")
    assert job.run_at - frozen.now() == timedelta(seconds=30)  # the kind's backoff
    await runner.drain()
    assert handlers.ATTEMPTS[7] == 1  # not due yet
    frozen.advance(30)
    await runner.drain()
    assert handlers.ATTEMPTS[7] == 2
    frozen.advance(60)
    await runner.drain()
    assert handlers.ATTEMPTS[7] == 3
    assert await jobs_by_state(runtime) == {DONE: 1}


async def test_dead_letter_after_max_attempts(runtime: Runtime, frozen: FrozenClock) -> None:
    async def work(s: AsyncSession) -> None:
        await enqueue(s, "test.flaky", {"n": 8, "succeed_on": 99})

    await runtime.db.write(work)
    runner = Runner(runtime)
    for _ in range(6):
        await runner.drain()
        frozen.advance(3600)
    assert handlers.ATTEMPTS[8] == 4
    assert await jobs_by_state(runtime) == {DEAD: 1}


async def test_retry_after_and_fatal(runtime: Runtime, frozen: FrozenClock) -> None:
    async def work(s: AsyncSession) -> None:
        await enqueue(s, "test.retry_after", {})
        await enqueue(s, "test.fatal", {})

    await runtime.db.write(work)
    runner = Runner(runtime)
    await runner.drain()
    assert await jobs_by_state(runtime) == {QUEUED: 1, DEAD: 1}
    frozen.advance(119)
    await runner.drain()
    assert await jobs_by_state(runtime) == {QUEUED: 1, DEAD: 1}
    frozen.advance(1)
    await runner.drain()
    assert await jobs_by_state(runtime) == {DONE: 1, DEAD: 1}


async def test_expired_lease_is_reclaimed(runtime: Runtime, frozen: FrozenClock) -> None:
    async def work(s: AsyncSession) -> None:
        await enqueue(s, "test.record", {"n": 1})

    await runtime.db.write(work)
    crashed = Runner(runtime, worker_id="crashed")
    claimed = await crashed.claim(10)  # claimed, then the worker "dies"
    assert len(claimed) == 1
    assert await jobs_by_state(runtime) == {RUNNING: 1}
    other = Runner(runtime, worker_id="other")
    assert await other.drain() == 0  # still leased
    frozen.advance(runtime.settings.job_lease_seconds + 1)
    assert await other.drain() == 1
    assert await jobs_by_state(runtime) == {DONE: 1}
    # the dead worker's late completion is refused: the job is no longer its own
    await crashed.execute(claimed[0])
    assert await jobs_by_state(runtime) == {DONE: 1}


async def test_unknown_kind_is_dead_lettered(runtime: Runtime) -> None:
    async def work(s: AsyncSession) -> None:
        s.add(
            Job(
                kind="no.such.kind",
                payload={},
                state=QUEUED,
                run_at=_now(),
                attempts=0,
                max_attempts=3,
                created_at=_now(),
                updated_at=_now(),
            )
        )

    await runtime.db.write(work)
    await Runner(runtime).drain()
    assert await jobs_by_state(runtime) == {DEAD: 1}


def _now():  # type: ignore[no-untyped-def]
    from relaybox import clock

    return clock.now()
