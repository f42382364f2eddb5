"""The job runner: claims due jobs, runs their handlers, retries, dead-letters.

On PostgreSQL any number of runners in any number of processes share the table: a claim takes
due rows with ``FOR UPDATE SKIP LOCKED`` and leases them. On SQLite one runner per database runs
inside the server process. A lease that expires (its worker died) is handed back to the queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import socket
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.jobs.models import DEAD, DONE, QUEUED, RUNNING, Job
from relaybox.jobs.registry import (
    JobBatch,
    JobContext,
    JobFailed,
    JobSpec,
    LeaseLost,
    Retry,
    registered,
)
from relaybox.metrics import JOBS_PROCESSED
from relaybox.storage import raw

if TYPE_CHECKING:
    from relaybox.runtime import Runtime

log = logging.getLogger("relaybox.jobs")


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{ids.uuid7().hex[-6:]}"


class Runner:
    def __init__(self, runtime: Runtime, *, worker_id: str | None = None) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.db = runtime.db
        self.worker_id = worker_id or settings.worker_id or default_worker_id()
        self.concurrency = settings.worker_concurrency
        self.poll = settings.worker_poll_seconds
        self.lease = settings.job_lease_seconds
        self._active: set[asyncio.Task[None]] = set()
        self._inflight = 0  # jobs being run (a batch counts each of its jobs)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._last_reap = 0.0
        self.db.on_commit(self.wake)

    def wake(self) -> None:
        self._wake.set()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self.run(), name="job-runner")

    async def stop(self, grace: float = 10.0) -> None:
        self._stopping = True
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._active:
            _, pending = await asyncio.wait(self._active, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending)

    async def run(self) -> None:
        log.info("job runner %s started", self.worker_id)
        while not self._stopping:
            try:
                claimed = await self.tick()
            except Exception:
                log.exception("job runner tick failed")
                claimed = 0
            if self._stopping:
                break
            if claimed == 0 or len(self._active) >= self.concurrency:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.poll)

    async def tick(self) -> int:
        """Reap expired leases now and then, claim what fits, start it. Returns claimed count."""
        loop_now = asyncio.get_running_loop().time()
        if loop_now - self._last_reap > max(1.0, self.lease / 4):
            self._last_reap = loop_now
            await self.reap()
        free = self.concurrency - self._inflight
        if free <= 0:
            return 0
        rows = await self.claim(min(free, 500))
        for run, size in self.plan(rows):
            task = asyncio.get_running_loop().create_task(run)
            self._inflight += size
            self._active.add(task)
            task.add_done_callback(functools.partial(self._finished, size=size))
        return len(rows)

    def plan(self, rows: list[Any]) -> list[tuple[Coroutine[Any, Any, None], int]]:
        """One coroutine per job, or per chunk of jobs for kinds with a batch handler."""
        runs: list[tuple[Coroutine[Any, Any, None], int]] = []
        batches: dict[str, list[Any]] = {}
        specs = registered()
        for row in rows:
            spec = specs.get(row[1])
            if spec is not None and spec.batch_handler is not None:
                batches.setdefault(row[1], []).append(row)
            else:
                runs.append((self.execute(row), 1))
        for kind, group in batches.items():
            size = specs[kind].batch_size
            for start in range(0, len(group), size):
                chunk = group[start : start + size]
                runs.append((self.execute_batch(specs[kind], chunk), len(chunk)))
        return runs

    def _finished(self, task: asyncio.Task[None], *, size: int = 1) -> None:
        self._active.discard(task)
        self._inflight -= size
        self._wake.set()

    async def drain(self, max_rounds: int = 1000) -> int:
        """Run every due job to completion (tests and CLI). Returns how many ran."""
        total = 0
        for _ in range(max_rounds):
            await self.reap()
            rows = await self.claim(self.concurrency)
            if not rows:
                if self._active:
                    await asyncio.wait(self._active)
                    continue
                break
            total += len(rows)
            await asyncio.gather(*(run for run, _ in self.plan(rows)))
        return total

    # -- database steps ----------------------------------------------------------------------

    async def claim(self, limit: int) -> list[Any]:
        worker, lease = self.worker_id, self.lease

        async def work(session: AsyncSession) -> list[Any]:
            now = clock.now()
            due = (
                select(Job.id)
                .where(Job.state == QUEUED, Job.run_at <= now)
                .order_by(Job.run_at, Job.id)
                .limit(limit)
                .with_for_update(skip_locked=True)
            )
            stmt = (
                update(Job)
                .where(Job.id.in_(due))
                .values(
                    state=RUNNING,
                    locked_by=worker,
                    locked_until=now + timedelta(seconds=lease),
                    attempts=Job.attempts + 1,
                    updated_at=now,
                )
                .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
                .execution_options(synchronize_session=False)
            )
            return list((await session.execute(stmt)).all())

        return await self.db.write(work)

    async def reap(self) -> None:
        """Hand jobs whose lease expired back to the queue (or dead-letter them)."""

        async def work(session: AsyncSession) -> None:
            now = clock.now()
            expired = (Job.state == RUNNING) & (Job.locked_until < now)
            await session.execute(
                update(Job)
                .where(expired, Job.attempts >= Job.max_attempts)
                .values(state=DEAD, locked_by=None, last_error="lease expired", finished_at=now)
                .execution_options(synchronize_session=False)
            )
            await session.execute(
                update(Job)
                .where(expired)
                .values(state=QUEUED, locked_by=None, locked_until=None, updated_at=now)
                .execution_options(synchronize_session=False)
            )

        await self.db.write(work)

    async def _finish(
        self,
        job_id: int,
        values: dict[str, Any],
        fn: Callable[[AsyncSession], Awaitable[Any]] | None = None,
    ) -> Any:
        worker = self.worker_id

        async def work(session: AsyncSession) -> Any:
            result = await fn(session) if fn is not None else None
            now = clock.now()
            res = await session.execute(
                update(Job)
                .where(Job.id == job_id, Job.locked_by == worker, Job.state == RUNNING)
                .values(updated_at=now, locked_until=None, **values)
                .execution_options(synchronize_session=False)
            )
            if res.rowcount != 1:  # type: ignore[attr-defined]
                raise LeaseLost(f"job {job_id} is no longer ours")
            return result

        return await self.db.write(work)

    # -- running one job ---------------------------------------------------------------------

    async def execute(self, row: Any) -> None:
        job_id, kind, payload, attempts, max_attempts = row
        spec = registered().get(kind)
        if spec is None:
            await self._dead(job_id, f"no handler for job kind {kind!r}")
            return

        async def complete(fn: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
            return await self._finish(
                job_id, {"state": DONE, "finished_at": clock.now(), "last_error": None}, fn
            )

        ctx = JobContext(job_id, kind, payload, attempts, max_attempts, self.runtime, complete)
        assert spec.handler is not None
        try:
            await asyncio.wait_for(spec.handler(ctx), timeout=min(spec.timeout, self.lease * 0.9))
            if not ctx.completed:
                await complete(_nothing)
            JOBS_PROCESSED.labels(kind, "done").inc()
        except LeaseLost as exc:
            log.warning("%s", exc)
        except Retry as exc:
            await self._retry(job_id, kind, attempts, max_attempts, str(exc), exc.after)
        except JobFailed as exc:
            await self._dead(job_id, str(exc) or "failed")
            JOBS_PROCESSED.labels(kind, "dead").inc()
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("job %s (%s) failed on attempt %s", job_id, kind, attempts)
            reason = f"{type(exc).__name__}: {exc}"
            await self._retry(job_id, kind, attempts, max_attempts, reason, None)

    async def _retry(
        self,
        job_id: int,
        kind: str,
        attempts: int,
        max_attempts: int,
        reason: str,
        after: float | None,
    ) -> None:
        if attempts >= max_attempts:
            await self._dead(job_id, reason)
            JOBS_PROCESSED.labels(kind, "dead").inc()
            return
        spec = registered()[kind]
        wait = after if after is not None else spec.backoff(attempts)
        with contextlib.suppress(LeaseLost):
            await self._finish(
                job_id,
                {
                    "state": QUEUED,
                    "locked_by": None,
                    "run_at": clock.now() + timedelta(seconds=wait),
                    "last_error": reason[:2000],
                },
            )
        JOBS_PROCESSED.labels(kind, "retry").inc()

    async def _dead(self, job_id: int, reason: str) -> None:
        log.error("job %s dead-lettered: %s", job_id, reason)
        with contextlib.suppress(LeaseLost):
            await self._finish(
                job_id,
                {
                    "state": DEAD,
                    "locked_by": None,
                    "finished_at": clock.now(),
                    "last_error": reason[:2000],
                },
            )

    # -- running a batch of jobs -----------------------------------------------------------------

    async def execute_batch(self, spec: JobSpec, rows: list[Any]) -> None:
        assert spec.batch_handler is not None
        jobs = [
            JobContext(
                job_id, kind, payload, attempts, max_attempts, self.runtime, _unused_complete
            )
            for job_id, kind, payload, attempts, max_attempts in rows
        ]
        batch = JobBatch(jobs, self.runtime, self._complete_batch)
        try:
            await asyncio.wait_for(
                spec.batch_handler(batch), timeout=min(spec.timeout, self.lease * 0.9)
            )
            if not batch.completed:
                await batch.complete(None)
        except LeaseLost as exc:
            log.warning("%s", exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("batch of %d %s jobs failed", len(jobs), spec.kind)
            reason = f"{type(exc).__name__}: {exc}"
            retry = JobBatch(jobs, self.runtime, self._complete_batch)
            for job in jobs:
                retry.retry(job, reason)
            with contextlib.suppress(LeaseLost):
                await retry.complete(None)

    async def _complete_batch(
        self, batch: JobBatch, fn: Callable[[AsyncSession], Awaitable[Any]] | None
    ) -> Any:
        worker = self.worker_id
        spec = registered()[batch.jobs[0].kind]

        async def work(session: AsyncSession) -> Any:
            result = await fn(session) if fn is not None else None
            now = clock.now()
            done = [job.id for job in batch.jobs if job.id not in batch.outcomes]
            if done:
                changed = await raw.execute(
                    session,
                    "UPDATE jobs SET state = 'done', finished_at = ?, updated_at = ?, "
                    "locked_until = NULL, last_error = NULL WHERE locked_by = ? AND "
                    f"state = 'running' AND id IN ({raw.marks(len(done))})",
                    (now, now, worker, *done),
                )
                if changed != len(done):
                    raise LeaseLost(f"{len(done) - changed} {spec.kind} jobs are no longer ours")
            for job in batch.jobs:
                outcome = batch.outcomes.get(job.id)
                if outcome is None:
                    continue
                if outcome.state == "dead" or job.attempts >= job.max_attempts:
                    values: dict[str, Any] = {"state": DEAD, "finished_at": now}
                else:
                    wait = (
                        outcome.after if outcome.after is not None else spec.backoff(job.attempts)
                    )
                    values = {"state": QUEUED, "run_at": now + timedelta(seconds=wait)}
                await session.execute(
                    update(Job)
                    .where(Job.id == job.id, Job.locked_by == worker)
                    .values(
                        locked_by=None,
                        locked_until=None,
                        updated_at=now,
                        last_error=outcome.reason[:2000],
                        **values,
                    )
                    .execution_options(synchronize_session=False)
                )
            return result

        result = await self.db.write(work)
        for job in batch.jobs:
            outcome = batch.outcomes.get(job.id)
            JOBS_PROCESSED.labels(job.kind, "done" if outcome is None else outcome.state).inc()
        return result


async def _nothing(_session: AsyncSession) -> None:
    return None


async def _unused_complete(_fn: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
    raise RuntimeError("jobs in a batch are completed with JobBatch.complete")
