"""Engines and transactions.

SQLite is one writer: every write goes through a single connection, and concurrent writes are
grouped into one transaction (group commit), each in its own savepoint so one failure does not
abort its neighbours. Reads use a small pool of read-only connections (WAL lets them run beside
the writer). PostgreSQL uses an ordinary pool, one transaction per unit of work.

A unit of work is ``async def fn(session) -> T``: it may read, add and flush, never commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from relaybox.settings import normalize_database_url
from relaybox.storage import bulk, sqlite_inline

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]
# A hook that runs in the same transaction as the next unit of work of this context, with its
# result (idempotency uses it to record a response together with the effect that caused it).
same_transaction: contextvars.ContextVar[Callable[[AsyncSession, Any], Awaitable[None]] | None] = (
    contextvars.ContextVar("same_transaction", default=None)
)
log = logging.getLogger("relaybox.db")

MAX_BATCH = 256
WAKE = "wake"  # session.info flag: something (e.g. a job) was written that listeners want
ROWS = "buffered_rows"  # session.info: rows to insert with one executemany per table


def insert_later(session: AsyncSession, table: Any, row: dict[str, Any]) -> None:
    """Insert ``row`` at the end of this unit of work, batched with every other such row.

    For hot paths that only add rows (a send writes a message and a job): one executemany per
    table per commit instead of one statement (and ORM flush) per row. The rows are not visible
    to queries inside the same unit of work.
    """
    table = getattr(table, "__table__", table)
    session.info.setdefault(ROWS, {}).setdefault(table, []).append(row)


def _with_hook(fn: Work[T], hook: Callable[[AsyncSession, Any], Awaitable[None]]) -> Work[T]:
    async def both(session: AsyncSession) -> T:
        result = await fn(session)
        await hook(session, result)
        return result

    return both


def _mark(session: AsyncSession) -> dict[Any, int]:
    return {table: len(rows) for table, rows in session.info.get(ROWS, {}).items()}


def _undo(session: AsyncSession, mark: dict[Any, int]) -> None:
    for table, rows in session.info.get(ROWS, {}).items():
        del rows[mark.get(table, 0) :]


async def _flush_rows(session: AsyncSession) -> None:
    buffered: dict[Any, list[dict[str, Any]]] = session.info.pop(ROWS, {})
    for table, rows in buffered.items():
        await bulk.insert_rows(session, table, rows)


@dataclass
class _Pending:
    fn: Work[Any]
    future: asyncio.Future[Any]
    after_commit: list[Callable[[], None]] = field(default_factory=list)


class Database:
    def __init__(
        self,
        url: str,
        *,
        sqlite_synchronous: str = "FULL",
        sqlite_readers: int = 4,
        pool_size: int = 20,
    ) -> None:
        url = normalize_database_url(url)
        self.url = url
        parsed = make_url(url)
        self.dialect = parsed.get_backend_name()
        self.is_sqlite = self.dialect == "sqlite"
        self._queue: asyncio.Queue[_Pending] | None = None
        self._writer_task: asyncio.Task[None] | None = None
        self._commit_listeners: list[Callable[[], None]] = []
        if self.is_sqlite:
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_async_engine(
                url,
                pool_size=1,
                max_overflow=0,
                connect_args={"async_creator_fn": sqlite_inline.connect},
            )
            self.read_engine = create_async_engine(
                url, pool_size=max(1, sqlite_readers), max_overflow=0
            )
            _configure_sqlite(self.engine, sqlite_synchronous, writer=True)
            _configure_sqlite(self.read_engine, sqlite_synchronous, writer=False)
        else:
            self.engine = create_async_engine(
                url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
            self.read_engine = self.engine
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)

    # -- reads -------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only (a snapshot on SQLite)."""
        async with self._read_sessions() as session:
            yield session  # closing (not rolling back) keeps loaded objects readable

    # -- writes ------------------------------------------------------------------------------

    async def write(self, fn: Work[T]) -> T:
        """Run ``fn`` in a transaction and commit it. Returns fn's result after the commit."""
        hook = same_transaction.get()
        if hook is not None:
            same_transaction.set(None)
            fn = _with_hook(fn, hook)
        if not self.is_sqlite:
            async with self._sessions() as session:
                async with session.begin():
                    result = await fn(session)
                    await _flush_rows(session)
                hooks = session.info.pop("after_commit", [])
                wake = session.info.pop(WAKE, False)
            self._fire(hooks)
            if wake:
                self._fire(self._commit_listeners)
            return result
        queue = self._ensure_writer()
        loop = asyncio.get_running_loop()
        pending = _Pending(fn, loop.create_future())
        queue.put_nowait(pending)
        return await pending.future  # type: ignore[no-any-return]

    def on_commit(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after any commit whose session set ``session.info[WAKE]``."""
        self._commit_listeners.append(listener)

    @staticmethod
    def after_commit(session: AsyncSession, hook: Callable[[], None]) -> None:
        """Run ``hook`` once the current unit of work has committed."""
        session.info.setdefault("after_commit", []).append(hook)

    def _fire(self, hooks: list[Callable[[], None]]) -> None:
        for hook in hooks:
            try:
                hook()
            except Exception:
                log.exception("after-commit hook failed")

    def _ensure_writer(self) -> asyncio.Queue[_Pending]:
        if self._queue is None or self._writer_task is None or self._writer_task.done():
            self._queue = asyncio.Queue()
            self._writer_task = asyncio.get_running_loop().create_task(
                self._writer_loop(self._queue), name="sqlite-writer"
            )
        return self._queue

    async def _writer_loop(self, queue: asyncio.Queue[_Pending]) -> None:
        while True:
            first = await queue.get()
            # Let requests that are already running reach their write, then take them all.
            await asyncio.sleep(0)
            batch = [first]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get_nowait())
            await self._run_batch(batch)

    async def _run_batch(self, batch: list[_Pending]) -> None:
        results: list[tuple[_Pending, bool, Any]] = []
        try:
            async with self._sessions() as session:
                async with session.begin():
                    for item in batch:
                        if item.future.cancelled():
                            continue
                        mark = _mark(session)
                        try:
                            async with session.begin_nested():
                                value = await item.fn(session)
                            item.after_commit = session.info.pop("after_commit", [])
                            results.append((item, True, value))
                        except Exception as exc:
                            _undo(session, mark)
                            session.info.pop("after_commit", None)
                            results.append((item, False, exc))
                    await _flush_rows(session)
                wake = session.info.pop(WAKE, False)
        except Exception as exc:  # the commit itself failed: nobody's work landed
            log.exception("sqlite group commit failed")
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(exc)
            return
        if wake:
            self._fire(self._commit_listeners)
        for item, ok, value in results:
            if ok:
                self._fire(item.after_commit)
            if item.future.done():
                continue
            if ok:
                item.future.set_result(value)
            else:
                item.future.set_exception(value)

    # -- lifecycle ---------------------------------------------------------------------------

    async def ping(self) -> bool:
        try:
            async with self.read() as session:
                await session.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def close(self) -> None:
        if self._writer_task is not None:
            self._writer_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer_task
            self._writer_task = None
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def _configure_sqlite(engine: AsyncEngine, synchronous: str, *, writer: bool) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves so savepoints and IMMEDIATE locking work as documented.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if not writer:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")
