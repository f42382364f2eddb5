"""Virtual handsets: what a number received on the simulated network, and texting from one."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.carriers.base import InboundSms
from relaybox.carriers.simulator.adapter import NAME
from relaybox.carriers.simulator.models import SimMessage
from relaybox.domain import encoding, phone
from relaybox.errors import NotFound
from relaybox.messaging import inbound
from relaybox.messaging.models import InboundMessage, Message
from relaybox.numbers import service as numbers_service


async def messages(
    session: AsyncSession, account_id: str, handset: str, limit: int = 100
) -> list[dict[str, Any]]:
    """Messages this account's traffic delivered to the handset, and what the handset sent it."""
    received = (
        await session.execute(
            select(SimMessage, Message.status)
            .join(Message, Message.id == SimMessage.message_id)
            .where(
                SimMessage.handset == handset,
                SimMessage.direction == "mt",
                Message.account_id == account_id,
            )
            .order_by(SimMessage.id.desc())
            .limit(limit)
        )
    ).all()
    sent = (
        (
            await session.execute(
                select(SimMessage)
                .where(
                    SimMessage.handset == handset,
                    SimMessage.direction == "mo",
                    SimMessage.account_id == account_id,
                )
                .order_by(SimMessage.id.desc())
                .limit(limit)
            )
        )
        .scalars()
        .all()
    )
    out = [
        {
            "id": sim.id,
            "direction": "received",
            "from": sim.counterpart,
            "to": handset,
            "body": sim.body,
            "segments": sim.segments,
            "message_id": sim.message_id,
            "status": status,
            "outcome": sim.outcome,
            "at": sim.submitted_at,
            "delivered_at": sim.delivered_at,
        }
        for sim, status in received
    ] + [
        {
            "id": sim.id,
            "direction": "sent",
            "from": handset,
            "to": sim.counterpart,
            "body": sim.body,
            "segments": sim.segments,
            "message_id": None,
            "status": "sent",
            "outcome": sim.outcome,
            "at": sim.submitted_at,
            "delivered_at": sim.submitted_at,
        }
        for sim in sent
    ]
    out.sort(key=lambda m: str(m["id"]), reverse=True)
    return out[:limit]


async def owner_for(
    session: AsyncSession,
    account_id: str,
    sub_account_id: str | None,
    project_id: str | None,
    handset: str,
    to: str,
) -> inbound.Owner:
    number = await numbers_service.find_by_e164(session, to)
    if number is not None:
        if number.account_id != account_id:
            raise NotFound("Number not found.")
        return inbound.Owner(number.account_id, number.sub_account_id, number.project_id)
    stmt = select(Message).where(
        Message.account_id == account_id, Message.sender == to, Message.to == handset
    )
    if project_id:
        stmt = stmt.where(Message.project_id == project_id)
    last = (await session.execute(stmt.order_by(Message.id.desc()).limit(1))).scalar_one_or_none()
    if last is not None:
        return inbound.Owner(account_id, last.sub_account_id, last.project_id)
    return inbound.Owner(account_id, sub_account_id, project_id)


async def send_from_handset(
    session: AsyncSession,
    *,
    account_id: str,
    sub_account_id: str | None,
    project_id: str | None,
    handset: str,
    to: str,
    body: str,
) -> InboundMessage | None:
    """The virtual phone ``handset`` texts ``to`` (one of this account's numbers or senders)."""
    sender = phone.parse(handset).e164
    destination = phone.parse(to).e164
    owner = await owner_for(session, account_id, sub_account_id, project_id, sender, destination)
    network_id = ids.new_id("sim")
    now = clock.now()
    session.add(
        SimMessage(
            id=network_id,
            direction="mo",
            message_id=None,
            account_id=account_id,
            handset=sender,
            counterpart=destination,
            body=body,
            segments=encoding.analyze(body).segments,
            outcome="delivered",
            submitted_at=now,
            delivered_at=now,
            duplicate_submits=0,
        )
    )
    await session.flush()
    return await inbound.receive(
        session,
        InboundSms(
            carrier=NAME,
            external_id=network_id,
            sender=sender,
            to=destination,
            body=body,
            received_at=now,
        ),
        test=True,
        hint=owner,
    )
