"""Inbound SMS: multipart reassembly, routing to the owner, STOP/START/HELP, the inbound event."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.carriers.base import InboundSms
from relaybox.domain import encoding, keywords
from relaybox.jobs import enqueue
from relaybox.messaging import payloads
from relaybox.messaging.models import CarrierEvent, InboundMessage, InboundPart, Message, OptOut
from relaybox.messaging.senders import opt_out_scope
from relaybox.numbers import service as numbers_service
from relaybox.storage.base import dialect_insert
from relaybox.webhooks.events import emit

log = logging.getLogger("relaybox.inbound")
AUTO_REPLY_VALIDITY = timedelta(hours=1)


@dataclass(frozen=True)
class Owner:
    account_id: str
    sub_account_id: str | None
    project_id: str | None


async def _store_raw(session: AsyncSession, m: InboundSms) -> bool:
    data = dataclasses.asdict(m)
    data["received_at"] = payloads.iso(m.received_at)
    result = await session.execute(
        dialect_insert(session, CarrierEvent)
        .values(
            carrier=m.carrier,
            external_id=m.external_id,
            kind="inbound",
            carrier_message_id=None,
            data=data,
            received_at=clock.now(),
            applied_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["carrier", "external_id"])
        .returning(CarrierEvent.id)
    )
    return result.scalar_one_or_none() is not None


async def _reassemble(session: AsyncSession, m: InboundSms) -> tuple[str, str] | None:
    """(body, external id) once every part of a multipart MO is here; None until then.

    On PostgreSQL, parts of one message stored by concurrent transactions (two binds, two
    workers) would each miss the other's uncommitted row and neither would assemble; a
    transaction lock per message makes them take turns, and the later one sees every part."""
    if session.get_bind().dialect.name == "postgresql":
        key = f"mo-parts:{m.carrier}:{m.sender}:{m.to}:{m.concat_ref or ''}:{m.part_total}"
        await session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    await session.execute(
        dialect_insert(session, InboundPart)
        .values(
            carrier=m.carrier,
            sender=m.sender,
            to=m.to,
            concat_ref=m.concat_ref or "",
            part_total=m.part_total,
            part_seq=m.part_seq,
            body=m.body,
            received_at=clock.now(),
        )
        .on_conflict_do_nothing(
            index_elements=["carrier", "sender", "to", "concat_ref", "part_total", "part_seq"]
        )
    )
    same = (
        (InboundPart.carrier == m.carrier)
        & (InboundPart.sender == m.sender)
        & (InboundPart.to == m.to)
        & (InboundPart.concat_ref == (m.concat_ref or ""))
        & (InboundPart.part_total == m.part_total)
    )
    parts = (
        (await session.execute(select(InboundPart).where(same).order_by(InboundPart.part_seq)))
        .scalars()
        .all()
    )
    if len(parts) < m.part_total:
        return None
    await session.execute(delete(InboundPart).where(same))
    first = parts[0]
    body = "".join(p.body for p in parts)
    return body, f"{m.sender}:{m.concat_ref}:{m.part_total}:{first.received_at.isoformat()}"


async def route(
    session: AsyncSession, to: str, sender: str, test: bool, hint: Owner | None
) -> Owner | None:
    """Whose number is ``to``? An owned number's project, else the caller's hint, else (sandbox)
    whoever last sent from that virtual sender to this handset."""
    number = await numbers_service.find_by_e164(session, to)
    if number is not None:
        return Owner(number.account_id, number.sub_account_id, number.project_id)
    if hint is not None:
        return hint
    if test:
        last = (
            await session.execute(
                select(Message)
                .where(Message.sender == to, Message.to == sender, Message.test)
                .order_by(Message.id.desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        if last is not None:
            return Owner(last.account_id, last.sub_account_id, last.project_id)
    return None


async def receive(
    session: AsyncSession, m: InboundSms, *, test: bool, hint: Owner | None = None
) -> InboundMessage | None:
    if not await _store_raw(session, m):
        return None  # a duplicate of something already received
    body, external_id = m.body, m.external_id
    if m.part_total > 1:
        assembled = await _reassemble(session, m)
        if assembled is None:
            return None
        body, external_id = assembled
    owner = await route(session, m.to, m.sender, test, hint)
    if owner is None:
        log.warning("inbound SMS to %s has no owner; dropped", m.to)
        return None
    keyword = keywords.classify(body)
    message = InboundMessage(
        id=ids.new_id("mo"),
        account_id=owner.account_id,
        sub_account_id=owner.sub_account_id,
        project_id=owner.project_id,
        test=test,
        sender=m.sender,
        to=m.to,
        body=body,
        parts=m.part_total,
        keyword=keyword,
        carrier=m.carrier,
        external_id=external_id,
        received_at=m.received_at or clock.now(),
    )
    session.add(message)
    await session.flush()
    await _apply_keyword(session, owner, m.to, m.sender, keyword, test)
    await emit(
        session,
        account_id=owner.account_id,
        sub_account_id=owner.sub_account_id,
        project_id=owner.project_id,
        type="sms.inbound",
        payload=payloads.inbound_event(message),
    )
    return message


async def _apply_keyword(
    session: AsyncSession,
    owner: Owner,
    our_number: str,
    handset: str,
    keyword: str | None,
    test: bool,
) -> None:
    if keyword is None:
        return
    scope = opt_out_scope(owner.project_id, our_number)
    match = (
        (OptOut.account_id == owner.account_id)
        & (OptOut.scope == scope)
        & (OptOut.number == handset)
    )
    opted_out = (await session.execute(select(OptOut.id).where(match))).first() is not None
    if keyword == "opt_out":
        if not opted_out:
            session.add(
                OptOut(
                    account_id=owner.account_id,
                    scope=scope,
                    number=handset,
                    source="keyword",
                    keyword=keyword,
                    created_at=clock.now(),
                )
            )
    elif keyword == "opt_in":
        await session.execute(delete(OptOut).where(match))
    elif keyword == "help" and opted_out:
        return  # no help text to someone who opted out
    await send_auto_reply(session, owner, our_number, handset, keywords.AUTO_REPLIES[keyword], test)


async def send_auto_reply(
    session: AsyncSession, owner: Owner, sender: str, to: str, body: str, test: bool
) -> Message:
    """A system message (keyword confirmation): not charged, never blocked by the opt-out."""
    from relaybox.messaging.service import SUBMIT_JOB

    shape = encoding.analyze(body)
    now = clock.now()
    message = Message(
        id=ids.new_id("sms"),
        account_id=owner.account_id,
        sub_account_id=owner.sub_account_id,
        project_id=owner.project_id,
        key_id=None,
        test=test,
        surface="native",
        kind="auto_reply",
        to=to,
        sender=sender,
        body=body,
        encoding=shape.encoding,
        segments=shape.segments,
        country=None,
        network=None,
        mccmnc=None,
        status="accepted",
        error_code=None,
        error_message=None,
        price=0,
        currency="USD",
        carrier=None,
        carrier_message_id=None,
        receipts=True,
        callback_url=None,
        payload=None,
        goal=None,
        goal_at=None,
        clean_attempt=0,
        expires_at=now + AUTO_REPLY_VALIDITY,
        created_at=now,
        updated_at=now,
        handed_off_at=None,
        delivered_at=None,
        errored_at=None,
    )
    session.add(message)
    await enqueue(session, SUBMIT_JOB, {"message_id": message.id})
    return message
