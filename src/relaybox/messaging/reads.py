"""Read models: recent outbound, inboxes, deliverability and fleet views."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.accounts.principal import Principal
from relaybox.messaging.models import InboundMessage, Message, OptOut
from relaybox.numbers import service as numbers_service
from relaybox.storage.pagination import Page, paginate

LATENCY_SAMPLE = 20_000


def _visible(stmt: Select[Any], who: Principal, model: Any) -> Select[Any]:
    stmt = stmt.where(model.account_id == who.account)
    if who.sub_account_id:
        stmt = stmt.where(model.sub_account_id == who.sub_account_id)
    if who.project_id:
        stmt = stmt.where(model.project_id == who.project_id)
    return stmt


async def outbound(
    session: AsyncSession,
    who: Principal,
    *,
    project_id: str | None,
    status: str | None,
    limit: int,
    after: str | None,
) -> Page[Message]:
    stmt = _visible(select(Message), who, Message)
    if project_id:
        stmt = stmt.where(Message.project_id == project_id)
    if status:
        stmt = stmt.where(Message.status == status)
    return await paginate(session, stmt, Message.id, limit, after)


async def inbox(
    session: AsyncSession, who: Principal, *, project_id: str | None, limit: int, after: str | None
) -> Page[InboundMessage]:
    stmt = _visible(select(InboundMessage), who, InboundMessage)
    if project_id:
        stmt = stmt.where(InboundMessage.project_id == project_id)
    return await paginate(session, stmt, InboundMessage.id, limit, after)


def percentile(sorted_values: list[float], p: float) -> float | None:
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return round(sorted_values[rank - 1], 3)


async def deliverability(session: AsyncSession, who: Principal, since: datetime) -> dict[str, Any]:
    """Delivery rate, error codes by country and sender, receipt latency percentiles."""
    base = _visible(select(Message), who, Message).where(Message.created_at >= since)
    sub = base.subquery()
    counted = await session.execute(select(sub.c.status, func.count()).group_by(sub.c.status))
    by_status: dict[str, int] = {state: count for state, count in counted.all()}
    errors = (
        await session.execute(
            select(sub.c.country, sub.c.sender, sub.c.error_code, func.count())
            .where(sub.c.error_code.is_not(None))
            .group_by(sub.c.country, sub.c.sender, sub.c.error_code)
        )
    ).all()
    latencies = sorted(
        (delivered - handed).total_seconds()
        for handed, delivered in (
            await session.execute(
                select(sub.c.handed_off_at, sub.c.delivered_at)
                .where(sub.c.delivered_at.is_not(None), sub.c.handed_off_at.is_not(None))
                .limit(LATENCY_SAMPLE)
            )
        ).all()
        if handed is not None and delivered is not None
    )
    delivered = by_status.get("delivered", 0)
    finished = sum(by_status.get(s, 0) for s in ("delivered", "undelivered", "failed", "expired"))
    by_country: dict[str, Counter[str]] = defaultdict(Counter)
    by_sender: dict[str, Counter[str]] = defaultdict(Counter)
    for country, sender, code, count in errors:
        by_country[country or "unknown"][str(code)] += count
        by_sender[sender][str(code)] += count
    return {
        "since": since.isoformat().replace("+00:00", "Z"),
        "messages": sum(by_status.values()),
        "by_status": by_status,
        "delivery_rate": round(delivered / finished, 4) if finished else None,
        "errors_by_country": {k: dict(v) for k, v in by_country.items()},
        "errors_by_sender": {k: dict(v) for k, v in by_sender.items()},
        "receipt_latency_seconds": {
            "p50": percentile(latencies, 50),
            "p90": percentile(latencies, 90),
            "p99": percentile(latencies, 99),
            "samples": len(latencies),
        },
    }


async def fleet(session: AsyncSession, who: Principal, since: datetime) -> list[dict[str, Any]]:
    """Every sender used (and every owned SMS number), with its recent traffic and state."""
    base = _visible(select(Message), who, Message).where(Message.created_at >= since).subquery()
    rows = (
        await session.execute(
            select(
                base.c.sender, base.c.status, func.count(), func.max(base.c.created_at)
            ).group_by(base.c.sender, base.c.status)
        )
    ).all()
    senders: dict[str, dict[str, Any]] = {}
    for sender, status, count, last in rows:
        entry = senders.setdefault(
            sender,
            {
                "sender": sender,
                "owned": False,
                "project_id": None,
                "state": "active",
                "sent": 0,
                "delivered": 0,
                "failed": 0,
                "last_sent_at": None,
            },
        )
        entry["sent"] += count
        if status == "delivered":
            entry["delivered"] += count
        if status in ("failed", "undelivered", "expired"):
            entry["failed"] += count
        if last is not None and (entry["last_sent_at"] is None or last > entry["last_sent_at"]):
            entry["last_sent_at"] = last
    for number in await numbers_service.sms_numbers(session, who.account):
        entry = senders.setdefault(
            number.e164,
            {
                "sender": number.e164,
                "sent": 0,
                "delivered": 0,
                "failed": 0,
                "last_sent_at": None,
            },
        )
        entry.update(owned=True, project_id=number.project_id, state=number.status)
    opt_outs = dict(
        (
            await session.execute(
                select(OptOut.scope, func.count())
                .where(OptOut.account_id == who.account)
                .group_by(OptOut.scope)
            )
        ).all()
    )
    out = []
    for entry in senders.values():
        entry["opt_outs"] = opt_outs.get(f"sender:{entry['sender']}", 0)
        if entry["sent"]:
            finished = entry["delivered"] + entry["failed"]
            entry["delivery_rate"] = round(entry["delivered"] / finished, 4) if finished else None
        last = entry.get("last_sent_at")
        entry["last_sent_at"] = last.isoformat().replace("+00:00", "Z") if last else None
        out.append(entry)
    return sorted(out, key=lambda e: e["sender"])
