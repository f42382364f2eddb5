"""Plain driver SQL for hot queries whose SQLAlchemy compilation costs more than running them
(e.g. an IN list that changes size every call). Write ``?`` placeholders; PostgreSQL gets $n."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession


def _params(dialect: str, params: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLite keeps UTC timestamps as naive text (as the ORM writes them)."""
    if dialect != "sqlite":
        return params
    return tuple(
        p.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(p, datetime) else p
        for p in params
    )


@functools.lru_cache(maxsize=512)
def _numbered(sql: str) -> str:
    parts = sql.split("?")
    return "".join(f"{part}${i}" for i, part in enumerate(parts[:-1], start=1)) + parts[-1]


async def fetch(session: AsyncSession, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        sql = _numbered(sql)
    result = await connection.exec_driver_sql(sql, _params(connection.dialect.name, params))
    return [tuple(row) for row in result.all()]


def marks(count: int) -> str:
    return ", ".join("?" * count)


async def execute(session: AsyncSession, sql: str, params: tuple[Any, ...]) -> int:
    """Run a statement; returns the number of rows it changed."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        sql = _numbered(sql)
    result = await connection.exec_driver_sql(sql, _params(connection.dialect.name, params))
    return int(result.rowcount)


async def execute_many(session: AsyncSession, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """Run a statement once per parameter tuple (one executemany)."""
    if not rows:
        return
    connection = await session.connection()
    name = connection.dialect.name
    if name == "postgresql":
        sql = _numbered(sql)
    await connection.exec_driver_sql(sql, [_params(name, row) for row in rows])
