"""Job kinds used by the job tests (loaded by worker processes via RELAYBOX_EXTRA_MODULES)."""

from __future__ import annotations

import asyncio
import os
import time

from relaybox.jobs import JobContext, JobFailed, Retry, handler

LOG = os.environ.get("RELAYBOX_TEST_JOB_LOG", "")


def _log(line: str) -> None:
    if LOG:
        fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)


@handler("test.record", max_attempts=3)
async def record(ctx: JobContext) -> None:
    """Logs start and end with the worker's pid; sleeps payload['ms'] in between."""
    _log(f"start {ctx.payload['n']} {os.getpid()} {time.time():.6f}")
    await asyncio.sleep(ctx.payload.get("ms", 0) / 1000)
    _log(f"end {ctx.payload['n']} {os.getpid()} {time.time():.6f}")


ATTEMPTS: dict[int, int] = {}


@handler("test.flaky", max_attempts=4, backoff=lambda attempt: 30.0 * attempt)
async def flaky(ctx: JobContext) -> None:
    ATTEMPTS[ctx.payload["n"]] = ctx.attempts
    if ctx.attempts < ctx.payload["succeed_on"]:
        raise RuntimeError(f"attempt {ctx.attempts} fails")


@handler("test.retry_after", max_attempts=5)
async def retry_after(ctx: JobContext) -> None:
    if ctx.attempts == 1:
        raise Retry("not yet", after=120)


@handler("test.fatal", max_attempts=5)
async def fatal(ctx: JobContext) -> None:
    raise JobFailed("cannot ever work")


@handler("test.hang", max_attempts=2, timeout=600)
async def hang(ctx: JobContext) -> None:
    await asyncio.sleep(3600)
