"""Worker processes on PostgreSQL: kill -9 mid-batch loses nothing; concurrent workers never
run one job twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.jobs.models import DONE, Job
from relaybox.jobs.queue import enqueue_many
from relaybox.storage.database import Database
from tests.conftest import TABLES, _pg_admin

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture
def pg(postgres_url: str | None) -> str:
    if postgres_url is None:
        pytest.skip("PostgreSQL: set RELAYBOX_TEST_POSTGRES_URL to run (CI always does)")
    _pg_admin(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE", postgres_url)
    return postgres_url


def start_worker(
    url: str, log: Path, tmp: Path, name: str, concurrency: int = 16, lease: int = 60
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RELAYBOX_DATABASE_URL": url,
        "RELAYBOX_DATA_DIR": str(tmp),
        "RELAYBOX_SECRET_KEY": "test-secret",
        "RELAYBOX_EXTRA_MODULES": "tests.jobs.handlers",
        "RELAYBOX_TEST_JOB_LOG": str(log),
        "RELAYBOX_WORKER_CONCURRENCY": str(concurrency),
        "RELAYBOX_WORKER_POLL_SECONDS": "0.05",
        "RELAYBOX_JOB_LEASE_SECONDS": str(lease),
        "RELAYBOX_WORKER_ID": name,
        "RELAYBOX_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "relaybox.cli", "worker"],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


async def seed(url: str, count: int, ms: int) -> None:
    db = Database(url)

    async def work(s: AsyncSession) -> None:
        await enqueue_many(
            s, [{"kind": "test.record", "payload": {"n": n, "ms": ms}} for n in range(count)]
        )

    await db.write(work)
    await db.close()


async def done_count(url: str) -> int:
    db = Database(url)
    async with db.read() as s:
        n = await s.execute(
            select(func.count())
            .select_from(Job)
            .where(Job.state == DONE, Job.kind == "test.record")
        )
        value = int(n.scalar_one())
    await db.close()
    return value


def read_log(log: Path) -> list[tuple[str, int, int]]:
    if not log.exists():
        return []
    return [
        (p[0], int(p[1]), int(p[2]))
        for p in (line.split() for line in log.read_text().splitlines())
        if len(p) == 4
    ]


async def wait_for(predicate, timeout: float) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("timed out")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def test_kill_9_mid_batch_second_worker_finishes_everything(pg: str, tmp_path: Path) -> None:
    total = 600
    await seed(pg, total, ms=200)  # long enough that the kill always lands mid-batch
    log = tmp_path / "runs.log"
    first = start_worker(pg, log, tmp_path, "first", concurrency=16, lease=3)
    try:

        async def some_done_and_some_running() -> bool:
            entries = read_log(log)
            ended = {n for kind, n, _ in entries if kind == "end"}
            running = {n for kind, n, _ in entries if kind == "start"} - ended
            return len(ended) >= 100 and bool(running)  # kill inside a batch, not between two

        await wait_for(some_done_and_some_running, 60)
        os.killpg(first.pid, signal.SIGKILL)  # mid-batch: jobs are running right now
        first.wait()
    finally:
        stop(first)
    entries = read_log(log)
    started_by_first = {n for kind, n, _ in entries if kind == "start"}
    ended_by_first = {n for kind, n, _ in entries if kind == "end"}
    interrupted = started_by_first - ended_by_first
    assert interrupted, f"the kill should have interrupted running jobs ({len(ended_by_first)})"
    assert len(ended_by_first) < total

    second = start_worker(pg, log, tmp_path, "second", concurrency=16, lease=3)
    try:

        async def all_done() -> bool:
            return await done_count(pg) == total

        await wait_for(all_done, 120)
    finally:
        stop(second)
    ends = Counter(n for kind, n, _ in read_log(log) if kind == "end")
    assert set(ends) == set(range(total)), "every job ran to the end"
    # only jobs the kill interrupted (or finished but not yet committed) ran twice
    twice = {n for n, c in ends.items() if c > 1}
    assert twice <= started_by_first


async def test_four_workers_never_run_a_job_twice(pg: str, tmp_path: Path) -> None:
    total = 800
    await seed(pg, total, ms=5)
    log = tmp_path / "runs.log"
    workers = [start_worker(pg, log, tmp_path, f"w{i}", concurrency=8) for i in range(4)]
    try:

        async def all_done() -> bool:
            return await done_count(pg) == total

        await wait_for(all_done, 120)
    finally:
        for w in workers:
            stop(w)
    entries = read_log(log)
    starts = Counter(n for kind, n, _ in entries if kind == "start")
    assert set(starts) == set(range(total))
    assert max(starts.values()) == 1, "a job ran twice"
    pids = {pid for kind, _, pid in entries if kind == "start"}
    assert len(pids) >= 2, "the work was shared between processes"
