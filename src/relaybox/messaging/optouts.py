"""Opt-outs recorded by API (keyword opt-outs happen in inbound.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.domain import phone
from relaybox.messaging.models import OptOut
from relaybox.messaging.senders import opt_out_scope
from relaybox.storage.base import dialect_insert


async def record(session: AsyncSession, account_id: str, project_id: str, number: str) -> str:
    info = phone.parse(number)
    await session.execute(
        dialect_insert(session, OptOut)
        .values(
            account_id=account_id,
            scope=opt_out_scope(project_id, info.e164),
            number=info.e164,
            source="api",
            keyword=None,
            created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["account_id", "scope", "number"])
    )
    return info.e164
