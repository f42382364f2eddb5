"""Coalescing concurrent calls into batches.

Callers each submit one item and await its result; a loop takes everything queued and runs it
as one batch. Under load a batch holds many items, alone it holds one, and nobody waits for a
timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741 - item
R = TypeVar("R")

log = logging.getLogger("relaybox.batching")


class Coalescer(Generic[I, R]):
    def __init__(
        self,
        name: str,
        run: Callable[[list[I]], Awaitable[list[R | Exception]]],
        max_batch: int = 500,
    ) -> None:
        self.name = name
        self.run = run
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[I, asyncio.Future[R]]] | None = None
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: I) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._ensure().put_nowait((item, future))
        return await future

    def _ensure(self) -> asyncio.Queue[tuple[I, asyncio.Future[R]]]:
        if self._queue is None or self._task is None or self._task.done():
            self._queue = asyncio.Queue()
            self._task = asyncio.get_running_loop().create_task(
                self._loop(self._queue), name=self.name
            )
        return self._queue

    async def _loop(self, queue: asyncio.Queue[tuple[I, asyncio.Future[R]]]) -> None:
        while True:
            batch = [await queue.get()]
            await asyncio.sleep(0)  # let callers that are already running join this batch
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                results: list[R | Exception] = await self.run([item for item, _ in batch])
            except Exception as exc:
                log.exception("%s: a batch of %d failed", self.name, len(batch))
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
