"""Writing jobs. A job is added in the caller's session, so it commits (or not) with its cause."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.jobs.models import QUEUED, Job
from relaybox.jobs.registry import spec_for
from relaybox.storage.base import dialect_insert
from relaybox.storage.database import WAKE, insert_later


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    run_at: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> None:
    """Add a job to the session's transaction. With ``dedupe_key`` a second enqueue is a no-op."""
    now = clock.now()
    values: dict[str, Any] = {
        "kind": kind,
        "payload": payload or {},
        "state": QUEUED,
        "run_at": run_at or now,
        "attempts": 0,
        "max_attempts": max_attempts or spec_for(kind).max_attempts,
        "dedupe_key": dedupe_key,
        "created_at": now,
        "updated_at": now,
    }
    if dedupe_key is None:
        insert_later(session, Job, values)
    else:
        await session.execute(
            dialect_insert(session, Job)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    session.info[WAKE] = True


async def enqueue_many(session: AsyncSession, jobs: list[dict[str, Any]]) -> None:
    """Bulk-add jobs (dicts with kind, payload and optionally run_at) in one statement."""
    if not jobs:
        return
    now = clock.now()
    rows = [
        {
            "kind": j["kind"],
            "payload": j.get("payload") or {},
            "state": QUEUED,
            "run_at": j.get("run_at") or now,
            "attempts": 0,
            "max_attempts": j.get("max_attempts") or spec_for(j["kind"]).max_attempts,
            "dedupe_key": None,
            "created_at": now,
            "updated_at": now,
        }
        for j in jobs
    ]
    for row in rows:
        insert_later(session, Job, row)
    session.info[WAKE] = True
