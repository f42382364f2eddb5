"""Keyset pagination over time-sortable ids: newest first, cursor = last id seen."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from relaybox.errors import ValidationFailed

T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(last_id: str) -> str:
    return base64.urlsafe_b64encode(last_id.encode()).decode().rstrip("=")


def decode_cursor(token: str | None) -> str | None:
    if not token:
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationFailed.field("page_token", "page token is not valid") from None
    if not raw or len(raw) > 200 or not raw.isprintable():
        raise ValidationFailed.field("page_token", "page token is not valid")
    return raw


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    id_column: InstrumentedAttribute[Any],
    limit: int,
    after: str | None,
) -> Page[Any]:
    """Run ``stmt`` newest-first; ``after`` is a cursor from a previous page."""
    last = decode_cursor(after)
    if last is not None:
        stmt = stmt.where(id_column < last)
    rows = list(
        (await session.execute(stmt.order_by(id_column.desc()).limit(limit + 1))).scalars().all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(getattr(rows[-1], id_column.key)) if more and rows else None)
