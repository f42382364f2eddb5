"""Port-in orders: a number moves from another carrier to us (domain/porting.py).

Submitting creates the order and a number in state ``porting`` (held: nobody else can buy or
port it meanwhile). The simulated losing carrier answers on durable timers: review, then a
confirmed FOC date, then on that date it releases the number; completing the port then makes
the number active and starts its subscription (first month charged). Every state change is a
``number.port_in.updated`` event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import false, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.accounts.principal import Principal
from relaybox.billing import subscriptions
from relaybox.domain import phone
from relaybox.domain import porting as rules
from relaybox.errors import Conflict, InvalidNumber, NotFound
from relaybox.jobs import enqueue
from relaybox.numbers import catalog
from relaybox.numbers import stock as inventory
from relaybox.numbers.models import ACTIVE, PORTING, RELEASED, PhoneNumber, PortOrder
from relaybox.numbers.service import ensure_live
from relaybox.storage.pagination import Page, paginate
from relaybox.webhooks.events import emit

PORT_JOB = "numbers.port"
EVENT = "number.port_in.updated"
_TYPES = {"mobile": "mobile", "toll_free": "toll_free"}


def iso(value: Any) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def order_event(order: PortOrder, previous: str | None) -> dict[str, Any]:
    return {
        "event": EVENT,
        "id": order.id,
        "number_id": order.number_id,
        "number": order.e164,
        "carrier": order.losing_carrier,
        "status": order.status,
        "previous_status": previous,
        "foc_date": iso(order.foc_date),
        "carrier_released_at": iso(order.carrier_released_at),
        "exception_reason": order.exception_reason,
        "timestamp": iso(order.updated_at),
    }


async def _event(session: AsyncSession, order: PortOrder, previous: str | None) -> None:
    await emit(
        session,
        account_id=order.account_id,
        sub_account_id=order.sub_account_id,
        type=EVENT,
        payload=order_event(order, previous),
    )


async def _later(session: AsyncSession, order: PortOrder, step: str, delay: Any) -> None:
    await enqueue(
        session,
        PORT_JOB,
        {"order_id": order.id, "step": step},
        run_at=clock.now() + delay,
        dedupe_key=f"{PORT_JOB}:{order.id}:{step}",
    )


async def submit(
    session: AsyncSession,
    who: Principal,
    *,
    e164: str,
    carrier: str,
    sub_account_id: str | None,
) -> PortOrder:
    ensure_live(who, "port numbers in")
    info = phone.parse(e164)
    if not info.valid or info.country is None:
        raise InvalidNumber(f"{info.e164} is not a valid phone number.")
    held = (
        await session.execute(select(PhoneNumber.id).where(PhoneNumber.held_e164 == info.e164))
    ).first()
    if held is not None:
        raise Conflict(f"{info.e164} is already on relaybox.", code="number_held")
    if await inventory.by_number(session, info.e164) is not None:
        raise Conflict(
            f"{info.e164} is in relaybox's own stock: buy it instead.", code="number_in_stock"
        )
    kind = _TYPES.get(info.type, "local")
    sms, mms, voice = catalog.default_capabilities(info.country, kind)
    now = clock.now()
    number = PhoneNumber(
        id=ids.new_id("num"),
        account_id=who.account,
        sub_account_id=sub_account_id,
        project_id=None,
        e164=info.e164,
        held_e164=info.e164,
        country=info.country,
        type=kind,
        sms=sms,
        mms=mms,
        voice=voice,
        status=PORTING,
        source="port_in",
        stock_id=None,
        carrier="simulator",
        monthly_price=catalog.monthly_price(info.country, kind),
        currency=catalog.CURRENCY,
        created_at=now,
        updated_at=now,
        activated_at=None,
        released_at=None,
    )
    order = PortOrder(
        id=ids.new_id("port"),
        account_id=who.account,
        sub_account_id=sub_account_id,
        number_id=number.id,
        e164=info.e164,
        losing_carrier=carrier,
        status=rules.SUBMITTED,
        foc_date=None,
        carrier_released_at=None,
        exception_reason=None,
        created_at=now,
        updated_at=now,
        completed_at=None,
    )
    session.add_all([number, order])
    await session.flush()
    await _event(session, order, None)
    await _later(session, order, "review", rules.REVIEW_AFTER)
    return order


async def _move(
    session: AsyncSession, order: PortOrder, new: str, *, reason: str | None = None
) -> bool:
    if not rules.can_transition(order.status, new):
        return False
    previous, now = order.status, clock.now()
    order.status, order.updated_at = new, now
    if new == rules.EXCEPTION:
        order.exception_reason = reason
    if new in rules.TERMINAL:
        order.completed_at = now
    number = await session.get(PhoneNumber, order.number_id)
    if number is not None and new in (rules.EXCEPTION, rules.CANCELLED):
        number.status, number.held_e164 = RELEASED, None
        number.released_at = number.updated_at = now
    await session.flush()
    await _event(session, order, previous)
    return True


async def advance(session: AsyncSession, order_id: str, step: str) -> None:
    """The simulated losing carrier's next answer (a durable timer's job)."""
    order = await session.get(PortOrder, order_id, with_for_update=True)
    if order is None or order.status in rules.TERMINAL:
        return
    now = clock.now()
    if step == "review" and order.status == rules.SUBMITTED:
        await _move(session, order, rules.IN_REVIEW)
        await _later(session, order, "confirm", rules.FOC_AFTER)
    elif step == "confirm" and order.status == rules.IN_REVIEW:
        rejection = rules.simulated_rejection(order.losing_carrier)
        if rejection is not None:
            await _move(session, order, rules.EXCEPTION, reason=rejection)
            return
        order.foc_date = now + rules.FOC_LEAD
        await _move(session, order, rules.FOC_CONFIRMED)
        await _later(session, order, "release", rules.FOC_LEAD)
    elif (
        step == "release"
        and order.status == rules.FOC_CONFIRMED
        and order.carrier_released_at is None
    ):
        order.carrier_released_at = order.updated_at = now
        await session.flush()
        await _event(session, order, order.status)


async def complete(session: AsyncSession, who: Principal, number: PhoneNumber) -> PortOrder:
    """Finish the port once the losing carrier released the number (409 before that)."""
    ensure_live(who, "complete a port")
    order = await open_order(session, number.id)
    if order is None:
        if number.status == ACTIVE and number.source == "port_in":
            done = await latest_order(session, number.id)
            if done is not None:
                return done  # already complete
        raise Conflict("This number has no port order in progress.", code="no_port_order")
    if order.status != rules.FOC_CONFIRMED or order.carrier_released_at is None:
        when = f" (FOC date {iso(order.foc_date)})" if order.foc_date else ""
        raise Conflict(
            f"The losing carrier has not released the number yet{when}; the order is "
            f"{order.status}.",
            code="port_not_released",
        )
    await subscriptions.start(
        session,
        number_id=number.id,
        account_id=number.account_id,
        amount=number.monthly_price,
        currency=number.currency,
        label=number.e164,
    )
    now = clock.now()
    number.status, number.activated_at, number.updated_at = ACTIVE, now, now
    await _move(session, order, rules.PORTED)
    return order


async def cancel(session: AsyncSession, order: PortOrder) -> PortOrder:
    now = clock.now()
    if order.status in rules.TERMINAL:
        raise Conflict(f"This port order is already {order.status}.", code="port_order_closed")
    if not rules.may_cancel(order.status, order.foc_date, now):
        raise Conflict(
            "The FOC cut-off has passed (cancellations end "
            f"{iso(rules.cancel_cutoff(order.foc_date))}): the port will go ahead.",
            code="port_cutoff_passed",
        )
    await _move(session, order, rules.CANCELLED)
    return order


async def open_order(session: AsyncSession, number_id: str) -> PortOrder | None:
    return (
        await session.execute(
            select(PortOrder)
            .where(PortOrder.number_id == number_id, PortOrder.status.not_in(rules.TERMINAL))
            .limit(1)
        )
    ).scalar_one_or_none()


async def latest_order(session: AsyncSession, number_id: str) -> PortOrder | None:
    return (
        await session.execute(
            select(PortOrder)
            .where(PortOrder.number_id == number_id)
            .order_by(PortOrder.id.desc())
            .limit(1)
        )
    ).scalar_one_or_none()


async def get_order(session: AsyncSession, who: Principal, order_id: str) -> PortOrder:
    canonical = ids.parse_id("port", order_id)
    order = await session.get(PortOrder, canonical) if canonical else None
    # port orders belong to no project: project keys see none
    if order is None or not who.sees(order.account_id, order.sub_account_id):
        raise NotFound("Port order not found.")
    return order


async def list_orders(
    session: AsyncSession, who: Principal, limit: int, after: str | None
) -> Page[PortOrder]:
    stmt = select(PortOrder).where(PortOrder.account_id == who.account)
    if who.sub_account_id:
        stmt = stmt.where(PortOrder.sub_account_id == who.sub_account_id)
    if who.project_id:
        stmt = stmt.where(false())
    return await paginate(session, stmt, PortOrder.id, limit, after)
