"""The message state machine applied, a batch at a time: submits, receipts, failures, expiry.

Monotonic and idempotent: a status that is not a transition (domain/status.py) changes nothing.
Receipts are stored raw (unique per carrier event) before they are applied; a receipt that
arrives before its submit result is recorded waits unapplied, and recording the submit applies
it. Every function takes many items and costs a handful of statements whatever their number;
the single-item forms are the same code with one item.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.carriers.base import Receipt, SubmitResult
from relaybox.domain import status
from relaybox.messaging import charges, payloads
from relaybox.messaging.models import CarrierEvent, CarrierRef, Message
from relaybox.storage import raw
from relaybox.webhooks.events import EventDraft, emit_many

EXPIRED_CODE = 30036  # validity period expired
UNKNOWN_CODE = 30008  # unknown error
# A receipt's word for a part, as a message status.
RECEIPT_STATUS = {
    "delivered": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "expired": "expired",
    "accepted": "sent",
}
PENDING = ("accepted", "queued", "sending")
MESSAGES = Message.__table__
REFS = CarrierRef.__table__
EVENTS = CarrierEvent.__table__


@dataclass
class Change:
    message: Any  # a row of sms_messages (attribute access)
    new: str
    error_code: int | None = None
    error_message: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # carrier fields set with "sent"


async def load(session: AsyncSession, ids: Sequence[str]) -> dict[str, Any]:
    """Messages by id, locked for update (PostgreSQL)."""
    if not ids:
        return {}
    rows = await session.execute(
        select(MESSAGES).where(MESSAGES.c.id.in_(list(ids))).with_for_update()
    )
    return {row["id"]: SimpleNamespace(**row) for row in rows.mappings()}


_UPDATE = (
    "UPDATE sms_messages SET status = ?, updated_at = ?, handed_off_at = ?, delivered_at = ?, "
    "errored_at = ?, error_code = ?, error_message = ?, carrier = ?, carrier_message_id = ?, "
    "receipts = ? WHERE id = ?"
)


async def apply(session: AsyncSession, changes: Sequence[Change]) -> list[Any]:
    """Apply the changes that are transitions: rows, money, status events. Returns the changed
    messages."""
    now = clock.now()
    changed: list[Any] = []
    events: list[EventDraft] = []
    captured: list[str] = []
    released: list[str] = []
    for change in changes:
        m = change.message
        if not status.can_transition(m.status, change.new):
            continue
        for name, value in change.fields.items():
            setattr(m, name, value)
        m.status, m.updated_at = change.new, now
        if change.new == "sent":
            m.handed_off_at = m.handed_off_at or now
        elif change.new == "delivered":
            m.delivered_at = now
            m.handed_off_at = m.handed_off_at or now
        elif change.new in status.TERMINAL:
            m.errored_at, m.error_code, m.error_message = (
                now,
                change.error_code,
                change.error_message,
            )
        if not m.test:
            if change.new == "sent":
                captured.append(m.id)
            elif change.new in ("failed", "expired", "canceled"):
                released.append(m.id)
        changed.append(m)
        events.append(
            EventDraft(
                account_id=m.account_id,
                sub_account_id=m.sub_account_id,
                project_id=m.project_id,
                type="sms.status",
                payload=payloads.status_event(m),
                url=m.callback_url,
            )
        )
    await raw.execute_many(
        session,
        _UPDATE,
        [
            (
                m.status,
                m.updated_at,
                m.handed_off_at,
                m.delivered_at,
                m.errored_at,
                m.error_code,
                m.error_message,
                m.carrier,
                m.carrier_message_id,
                m.receipts,
                m.id,
            )
            for m in changed
        ],
    )
    await charges.settle(session, captured=captured, released=released)
    await emit_many(session, events)
    return changed


# -- submits ------------------------------------------------------------------------------------

Submitted = tuple[str, str, SubmitResult]  # message id, carrier name, result


async def record_submitted_many(session: AsyncSession, items: Sequence[Submitted]) -> None:
    messages = await load(session, [mid for mid, _, _ in items])
    now = clock.now()
    refs: list[tuple[Any, ...]] = []
    changes: list[Change] = []
    part_ids: dict[str, list[str]] = defaultdict(list)
    for message_id, carrier, result in items:
        m = messages.get(message_id)
        if m is None or m.status not in PENDING:
            continue
        parts = result.part_ids or (result.carrier_message_id,)
        for number, part_id in enumerate(parts, start=1):
            refs.append((carrier, part_id, message_id, number, "sent", None, now))
            part_ids[carrier].append(part_id)
        changes.append(
            Change(
                m,
                "sent",
                fields={
                    "carrier": carrier,
                    "carrier_message_id": result.carrier_message_id,
                    "receipts": result.receipts,
                },
            )
        )
    await raw.execute_many(
        session,
        "INSERT INTO sms_carrier_refs (carrier, carrier_message_id, message_id, part, status, "
        "error_code, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (carrier, carrier_message_id) DO NOTHING",
        refs,
    )
    await apply(session, changes)
    early: list[Any] = []
    for carrier, ids in part_ids.items():
        rows = await session.execute(
            select(EVENTS).where(
                EVENTS.c.carrier == carrier,
                EVENTS.c.kind == "receipt",
                EVENTS.c.applied_at.is_(None),
                EVENTS.c.carrier_message_id.in_(ids),
            )
        )
        early.extend(rows.mappings())
    if early:
        await apply_receipt_events(session, early)


async def record_submitted(
    session: AsyncSession, message_id: str, carrier: str, result: SubmitResult
) -> None:
    await record_submitted_many(session, [(message_id, carrier, result)])


Failure = tuple[str, int, str, str]  # message id, error code, error message, new status


async def record_failed_many(session: AsyncSession, items: Sequence[Failure]) -> None:
    messages = await load(session, [item[0] for item in items])
    await apply(
        session,
        [
            Change(messages[mid], new, error_code=code, error_message=text)
            for mid, code, text, new in items
            if mid in messages
        ],
    )


async def record_failed(
    session: AsyncSession,
    message_id: str,
    *,
    error_code: int,
    error_message: str,
    new_status: str = "failed",
) -> None:
    await record_failed_many(session, [(message_id, error_code, error_message, new_status)])


EXPIRED_TEXT = "Still queued when its validity period ended."


async def record_expired(session: AsyncSession, message_id: str) -> None:
    await record_failed(
        session,
        message_id,
        error_code=EXPIRED_CODE,
        new_status="expired",
        error_message=EXPIRED_TEXT,
    )


# -- receipts -----------------------------------------------------------------------------------


def _receipt_data(receipt: Receipt) -> dict[str, Any]:
    data = dataclasses.asdict(receipt)
    data["occurred_at"] = payloads.iso(receipt.occurred_at)
    return data


async def record_receipts(session: AsyncSession, receipts: Sequence[Receipt]) -> int:
    """Store carrier receipts once each and apply them. Returns how many were new."""
    unique = {(r.carrier, r.event_id): r for r in receipts}
    if not unique:
        return 0
    now = clock.now()
    rows = [
        (
            carrier,
            event_id,
            "receipt",
            r.carrier_message_id,
            orjson.dumps(_receipt_data(r)).decode(),
            now,
            None,
        )
        for (carrier, event_id), r in unique.items()
    ]
    values = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * len(rows))
    inserted = await raw.fetch(
        session,
        "INSERT INTO carrier_events (carrier, external_id, kind, carrier_message_id, data, "
        f"received_at, applied_at) VALUES {values} "
        "ON CONFLICT (carrier, external_id) DO NOTHING RETURNING id, carrier, external_id",
        tuple(value for row in rows for value in row),
    )
    fresh = [
        {
            "id": event_id,
            "carrier": carrier,
            "carrier_message_id": unique[(carrier, external)].carrier_message_id,
            "data": _receipt_data(unique[(carrier, external)]),
        }
        for event_id, carrier, external in inserted
    ]
    await apply_receipt_events(session, fresh)
    return len(fresh)


async def record_receipt(session: AsyncSession, receipt: Receipt) -> bool:
    return await record_receipts(session, [receipt]) == 1


async def apply_receipt_events(session: AsyncSession, events: Sequence[Any]) -> None:
    """Apply stored receipts (mappings with id, carrier, carrier_message_id, data) to their
    parts, and each touched message's combined status to the message."""
    by_carrier: dict[str, list[Any]] = defaultdict(list)
    for event in events:
        by_carrier[event["carrier"]].append(event)
    touched_refs: dict[int, Any] = {}
    applied: list[int] = []
    for carrier, group in by_carrier.items():
        rows = await session.execute(
            select(REFS).where(
                REFS.c.carrier == carrier,
                REFS.c.carrier_message_id.in_([e["carrier_message_id"] for e in group]),
            )
        )
        refs = {r["carrier_message_id"]: SimpleNamespace(**r) for r in rows.mappings()}
        for event in group:
            ref = refs.get(event["carrier_message_id"])
            if ref is None:
                continue  # its submit is not recorded yet: record_submitted applies it
            applied.append(event["id"])
            data = event["data"] if isinstance(event["data"], dict) else orjson.loads(event["data"])
            new = RECEIPT_STATUS.get(str(data.get("status")), "sent")
            if status.can_transition(ref.status, new):
                ref.status, ref.error_code = new, data.get("error_code")
                ref.detail = data.get("carrier_status")
                touched_refs[ref.id] = ref
    if not applied:
        return
    now = clock.now()
    await raw.execute_many(
        session,
        "UPDATE sms_carrier_refs SET status = ?, error_code = ?, updated_at = ? WHERE id = ?",
        [(r.status, r.error_code, now, r.id) for r in touched_refs.values()],
    )
    await raw.execute(
        session,
        f"UPDATE carrier_events SET applied_at = ? WHERE id IN ({raw.marks(len(applied))})",
        (now, *applied),
    )
    message_ids = sorted({r.message_id for r in touched_refs.values()})
    if not message_ids:
        return
    all_refs: dict[str, list[Any]] = defaultdict(list)
    rows = await session.execute(select(REFS).where(REFS.c.message_id.in_(message_ids)))
    for r in rows.mappings():
        all_refs[r["message_id"]].append(touched_refs.get(r["id"]) or SimpleNamespace(**r))
    messages = await load(session, message_ids)
    changes = []
    for message_id in message_ids:
        m, parts = messages.get(message_id), all_refs[message_id]
        if m is None:
            continue
        combined = status.combine([p.status for p in parts])
        failed = next((p for p in parts if p.error_code), None)
        detail = getattr(failed, "detail", None) if failed else None
        changes.append(
            Change(
                m,
                combined,
                error_code=failed.error_code if failed else None,
                error_message=f"carrier status {detail}"
                if detail
                else ("carrier reported a failure" if failed else None),
            )
        )
    await apply(session, changes)


async def apply_pending_receipts(session: AsyncSession, limit: int = 2000) -> int:
    """Apply stored receipts whose part is now known (a receipt and its submit result can be
    committed by two transactions at once, each before it could see the other). Returns how many
    were looked at."""
    rows = await session.execute(
        select(EVENTS.c.id, EVENTS.c.carrier, EVENTS.c.carrier_message_id, EVENTS.c.data)
        .join(
            REFS,
            (REFS.c.carrier == EVENTS.c.carrier)
            & (REFS.c.carrier_message_id == EVENTS.c.carrier_message_id),
        )
        .where(EVENTS.c.applied_at.is_(None), EVENTS.c.kind == "receipt")
        .order_by(EVENTS.c.id)
        .limit(limit)
    )
    pending = list(rows.mappings())
    if pending:
        await apply_receipt_events(session, pending)
    return len(pending)
