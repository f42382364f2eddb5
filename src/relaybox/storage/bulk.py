"""Bulk inserts straight to the driver, for the tables on the hot path.

SQLAlchemy's executemany runs every value through the column type's bind processing, which for a
message row (31 columns, five timestamps, JSON) costs more than everything else in a send. Here
each column gets one converter for the dialect, computed once per table, and the driver gets
plain tuples.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import JSON, DateTime, Table
from sqlalchemy.ext.asyncio import AsyncSession

Convert = Callable[[Any], Any] | None


def _sqlite_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _json(value: Any) -> str | None:
    return None if value is None else orjson.dumps(value).decode()


def _converter(column_type: Any, dialect: str) -> Convert:
    impl = getattr(column_type, "impl", column_type)
    if isinstance(impl, DateTime):
        return _sqlite_time if dialect == "sqlite" else None
    if isinstance(impl, JSON):
        return _json
    return None


@functools.cache
def _plan(
    table: Table, columns: tuple[str, ...], dialect: str, quote: Callable[[str], str]
) -> tuple[str, tuple[Convert, ...]]:
    names = ", ".join(quote(c) for c in columns)
    if dialect == "postgresql":
        marks = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    else:
        marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
    converters = tuple(_converter(table.c[c].type, dialect) for c in columns)
    return sql, converters


async def insert_rows(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys) with one executemany on the session's
    connection."""
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    columns = tuple(rows[0])
    sql, converters = _plan(table, columns, dialect.name, dialect.identifier_preparer.quote)
    params = [
        tuple(
            value if convert is None else convert(value)
            for value, convert in zip(row.values(), converters, strict=True)
        )
        for row in rows
    ]
    await connection.exec_driver_sql(sql, params)
