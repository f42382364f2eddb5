"""Emitting events. An event is written with the rows that cause it, and so are the delivery
jobs for every endpoint that wants it (routing: delivery.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.storage.database import insert_later
from relaybox.webhooks.models import Event

FANOUT_JOB = "webhooks.fanout"  # kept for jobs queued before routing moved into emit


@dataclass
class EventDraft:
    account_id: str
    type: str
    payload: dict[str, Any]  # the exact JSON body receivers get (each surface has its own shape)
    sub_account_id: str | None = None
    project_id: str | None = None
    url: str | None = None  # when given, the only target (a per-message callback URL)


async def emit_many(session: AsyncSession, drafts: Sequence[EventDraft]) -> list[Event]:
    """Record events and their delivery jobs in the caller's transaction."""
    from relaybox.webhooks import delivery

    if not drafts:
        return []
    now = clock.now()
    events = []
    for draft in drafts:
        row = {
            "id": ids.new_id("evt"),
            "account_id": draft.account_id,
            "sub_account_id": draft.sub_account_id,
            "project_id": draft.project_id,
            "type": draft.type,
            "payload": draft.payload,
            "url": draft.url,
            "created_at": now,
        }
        insert_later(session, Event, row)
        events.append(Event(**row))
    await delivery.schedule_many(session, events)
    return events


async def emit(
    session: AsyncSession,
    *,
    account_id: str,
    type: str,
    payload: dict[str, Any],
    sub_account_id: str | None = None,
    project_id: str | None = None,
    url: str | None = None,
) -> Event:
    """Record one event and schedule its delivery to the endpoints that want it."""
    (event,) = await emit_many(
        session,
        [
            EventDraft(
                account_id=account_id,
                type=type,
                payload=payload,
                sub_account_id=sub_account_id,
                project_id=project_id,
                url=url,
            )
        ],
    )
    return event
