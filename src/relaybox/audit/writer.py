"""Buffered audit writer: API calls are recorded in batches, off the request's critical path.

Records are flushed every ``audit_flush_seconds`` (and on shutdown) in one transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.audit.models import Activity
from relaybox.storage.database import Database

log = logging.getLogger("relaybox.audit")


class AuditWriter:
    def __init__(self, db: Database, interval: float) -> None:
        self.db = db
        self.interval = interval
        self._buffer: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    def record(self, **fields: Any) -> None:
        fields.setdefault("id", ids.new_id("act"))
        fields.setdefault("created_at", clock.now())
        self._buffer.append(fields)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="audit-writer")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.flush()

    async def flush(self) -> None:
        if not self._buffer:
            return
        rows, self._buffer = self._buffer, []

        async def work(session: AsyncSession) -> None:
            await session.execute(insert(Activity), rows)

        try:
            await self.db.write(work)
        except Exception:
            log.exception("audit flush failed; %d records kept for the next try", len(rows))
            self._buffer[:0] = rows

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
