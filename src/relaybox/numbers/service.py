"""Owned numbers: buy, list, release, transfer; the lookups messaging routes traffic with.

Functions take a session and flush, never commit. Buying is all or nothing: the funds for every
number are checked under the wallet lock before any stock changes hands, each stock item is
claimed with a conditional UPDATE, and the first month is charged in the same transaction.
Test keys are the sandbox and never spend money, so they cannot buy or port numbers (sandbox
traffic may send from any number).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.accounts import service as accounts
from relaybox.accounts.models import Project
from relaybox.accounts.principal import Principal
from relaybox.billing import service as wallet
from relaybox.billing import subscriptions
from relaybox.domain import inventory
from relaybox.errors import Conflict, Forbidden, NotFound, ValidationFailed
from relaybox.numbers import stock
from relaybox.numbers.models import ACTIVE, PORTING, RELEASED, PhoneNumber, PortOrder, StockItem
from relaybox.storage.pagination import Page, paginate
from relaybox.webhooks.events import emit

QUARANTINE = timedelta(days=30)
MAX_PER_ORDER = 25


def ensure_live(who: Principal, what: str = "buy numbers") -> None:
    if who.is_test:
        raise Forbidden(
            f"Test keys are the sandbox and never spend money: use a live key to {what} "
            "(sandbox traffic may send from any number)."
        )


def number_event(number: PhoneNumber) -> dict[str, Any]:
    return {
        "id": number.id,
        "number": number.e164,
        "country": number.country,
        "type": number.type,
        "capabilities": number.capabilities,
        "status": number.status,
        "sub_account_id": number.sub_account_id,
        "project_id": number.project_id,
    }


async def _emit(session: AsyncSession, number: PhoneNumber, type_: str) -> None:
    await emit(
        session,
        account_id=number.account_id,
        sub_account_id=number.sub_account_id,
        project_id=number.project_id,
        type=type_,
        payload={"event": type_, **number_event(number)},
    )


# -- reads -----------------------------------------------------------------------------------


def visible(who: Principal) -> Any:
    stmt = select(PhoneNumber).where(PhoneNumber.account_id == who.account)
    if who.sub_account_id:
        stmt = stmt.where(PhoneNumber.sub_account_id == who.sub_account_id)
    if who.project_id:
        stmt = stmt.where(PhoneNumber.project_id == who.project_id)
    return stmt


async def list_numbers(
    session: AsyncSession,
    who: Principal,
    limit: int,
    after: str | None,
    *,
    sub_account_id: str | None = None,
    status: str | None = None,
) -> Page[PhoneNumber]:
    """Numbers held now (active or porting) unless ``status`` asks for released ones too."""
    stmt = visible(who)
    if sub_account_id is not None:
        stmt = stmt.where(PhoneNumber.sub_account_id == sub_account_id)
    if status == "all":
        pass
    elif status:
        stmt = stmt.where(PhoneNumber.status == status)
    else:
        stmt = stmt.where(PhoneNumber.status != RELEASED)
    return await paginate(session, stmt, PhoneNumber.id, limit, after)


async def get_number(session: AsyncSession, who: Principal, number_id: str) -> PhoneNumber:
    canonical = ids.parse_id("num", number_id)
    number = await session.get(PhoneNumber, canonical) if canonical else None
    if number is None or not who.sees(number.account_id, number.sub_account_id, number.project_id):
        raise NotFound("Number not found.")
    return number


async def find_by_e164(session: AsyncSession, e164: str) -> PhoneNumber | None:
    """The active number ``e164`` and who holds it (None: not ours, porting or released)."""
    return (
        await session.execute(
            select(PhoneNumber).where(PhoneNumber.held_e164 == e164, PhoneNumber.status == ACTIVE)
        )
    ).scalar_one_or_none()


async def default_sender(
    session: AsyncSession, account_id: str, project_id: str | None
) -> PhoneNumber | None:
    """An SMS number to send from: the project's own first, else one in no project (of the
    project's sub-account, or of none)."""
    stmt = select(PhoneNumber).where(
        PhoneNumber.account_id == account_id,
        PhoneNumber.status == ACTIVE,
        PhoneNumber.sms.is_(True),
    )
    project = await session.get(Project, project_id) if project_id is not None else None
    if project is not None:
        unassigned = PhoneNumber.project_id.is_(None) & (
            PhoneNumber.sub_account_id.is_(None)
            | (PhoneNumber.sub_account_id == project.sub_account_id)
        )
        stmt = stmt.where((PhoneNumber.project_id == project.id) | unassigned).order_by(
            case((PhoneNumber.project_id == project.id, 0), else_=1), PhoneNumber.id
        )
    else:
        stmt = stmt.where(PhoneNumber.project_id.is_(None)).order_by(PhoneNumber.id)
    return (await session.execute(stmt.limit(1))).scalar_one_or_none()


async def project_sms_number(session: AsyncSession, project_id: str) -> PhoneNumber | None:
    """The project's first active SMS-capable number."""
    return (
        await session.execute(
            select(PhoneNumber)
            .where(
                PhoneNumber.project_id == project_id,
                PhoneNumber.status == ACTIVE,
                PhoneNumber.sms.is_(True),
            )
            .order_by(PhoneNumber.id)
            .limit(1)
        )
    ).scalar_one_or_none()


async def sms_numbers(session: AsyncSession, account_id: str) -> list[PhoneNumber]:
    """The account's active SMS-capable numbers (the fleet view)."""
    return list(
        (
            await session.execute(
                select(PhoneNumber)
                .where(
                    PhoneNumber.account_id == account_id,
                    PhoneNumber.status == ACTIVE,
                    PhoneNumber.sms.is_(True),
                )
                .order_by(PhoneNumber.e164)
            )
        )
        .scalars()
        .all()
    )


# -- where a purchase lands --------------------------------------------------------------------


async def placement(
    session: AsyncSession,
    who: Principal,
    sub_account_id: str | None,
    project_id: str | None,
) -> tuple[str | None, str | None]:
    """(sub-account, project) a number bought by ``who`` belongs to; 404 for ones it cannot see.

    A project puts the number in the project's sub-account; a key restricted to a sub-account
    or project buys into it.
    """
    project_id = project_id or who.project_id
    if project_id is not None:
        project_id = ids.parse_id("prj", project_id) or project_id
        project = await accounts.get_project(session, who, project_id)
        wanted = (ids.parse_id("sub", sub_account_id) or sub_account_id) if sub_account_id else None
        if wanted not in (None, project.sub_account_id):
            raise ValidationFailed.field("project_id", "the project is in another sub-account")
        return project.sub_account_id, project.id
    sub_account_id = sub_account_id or who.sub_account_id
    if sub_account_id is not None:
        canonical = ids.parse_id("sub", sub_account_id) or sub_account_id
        sub = await accounts.get_sub_account(session, who, canonical)
        return sub.id, None
    return None, None


# -- buying ------------------------------------------------------------------------------------


async def buy(
    session: AsyncSession,
    who: Principal,
    items: list[StockItem],
    *,
    sub_account_id: str | None,
    project_id: str | None = None,
    reserved: bool = False,
) -> list[PhoneNumber]:
    """Buy stock items: charge each first month and start its subscription, or change nothing."""
    ensure_live(who)
    if not items:
        raise ValidationFailed.field("numbers", "give at least one number")
    if len(items) > MAX_PER_ORDER:
        raise ValidationFailed.field("numbers", f"at most {MAX_PER_ORDER} numbers at a time")
    if len({item.id for item in items}) != len(items):
        raise ValidationFailed.field("numbers", "a number is given twice")
    account_id = who.account
    totals: dict[str, int] = defaultdict(int)
    for item in items:
        totals[item.currency] += item.monthly_price
    for currency, total in sorted(totals.items()):
        await wallet.lock_wallet(session, account_id, currency)
        wallet.ensure_funds(await wallet.balance(session, account_id, currency), total, currency)
    for item in sorted(items, key=lambda i: i.id):  # one lock order: no deadlocks
        await stock.claim(session, item, sub_account_id, reserved=reserved)
    now = clock.now()
    bought = []
    for item in items:
        number = PhoneNumber(
            id=ids.new_id("num"),
            account_id=account_id,
            sub_account_id=sub_account_id,
            project_id=project_id,
            e164=item.e164,
            held_e164=item.e164,
            country=item.country,
            type=item.type,
            sms=item.sms,
            mms=item.mms,
            voice=item.voice,
            status=ACTIVE,
            source="purchase",
            stock_id=item.id,
            carrier=item.carrier,
            monthly_price=item.monthly_price,
            currency=item.currency,
            created_at=now,
            updated_at=now,
            activated_at=now,
            released_at=None,
        )
        session.add(number)
        await session.flush()
        await subscriptions.start(
            session,
            number_id=number.id,
            account_id=account_id,
            amount=item.monthly_price,
            currency=item.currency,
            label=item.e164,
        )
        await _emit(session, number, "number.purchased")
        await stock.replenish_later(session, item.country, item.type)
        bought.append(number)
    return bought


async def items_for_numbers(
    session: AsyncSession, wanted: list[tuple[str, str | None]]
) -> list[StockItem]:
    """Stock items for (number, country) pairs as a buyer names them (404 / 409 otherwise)."""
    items = []
    for raw, country in wanted:
        e164 = raw.strip()
        item = await stock.by_number(session, e164)
        if item is None and not e164.startswith("+"):
            item = await stock.by_number(session, f"+{e164}")
        if item is None or (country and item.country != country.upper()):
            raise NotFound(f"{raw[:20]} is not in stock.")
        items.append(item)
    return items


async def first_match(
    session: AsyncSession, f: inventory.Filters, sub_account_id: str | None
) -> StockItem:
    """The first open item matching ``f`` (the simulator adds stock when it runs low)."""
    found = await stock.search(session, f, 1, None, sub_account_id=sub_account_id)
    if not found.items:
        await stock.fill(session, await stock.shortfall(session, f))
        found = await stock.search(session, f, 1, None, sub_account_id=sub_account_id)
    if not found.items:
        raise stock.NumberUnavailable("No number in stock matches.", code="no_number_available")
    return found.items[0]


async def provision_for_project(
    session: AsyncSession,
    who: Principal,
    project: Project,
    *,
    country: str,
    number_type: str = "local",
    capabilities: list[str] | None = None,
    e164: str | None = None,
) -> PhoneNumber:
    """The project's SMS number: the one it already has, else buy one (``e164``, or the first
    available match), charged like any purchase. Idempotent."""
    who.check(project.account_id, project.sub_account_id, project.id, "Project")
    existing = await project_sms_number(session, project.id)
    if existing is not None:
        return existing
    ensure_live(who, "activate SMS")
    caps = capabilities if capabilities is not None else ["sms"]
    f = inventory.make_filters(
        countries=[country], type=number_type, capabilities=caps, country_field="country"
    )
    if e164 is not None:
        item = (await items_for_numbers(session, [(e164, country)]))[0]
    else:
        item = await first_match(session, f, project.sub_account_id)
    bought = await buy(
        session, who, [item], sub_account_id=project.sub_account_id, project_id=project.id
    )
    return bought[0]


# -- release and transfer ----------------------------------------------------------------------


async def _left_project(session: AsyncSession, number: PhoneNumber) -> None:
    from relaybox.numbers import activation  # activation builds on this module

    await activation.number_left(session, number)


async def release_number(session: AsyncSession, number: PhoneNumber) -> None:
    """Stop routing now, end the subscription, quarantine the number. Idempotent."""
    if number.status == RELEASED:
        return
    if number.status == PORTING:
        raise Conflict("This number is being ported in: cancel its port order instead.")
    now = clock.now()
    number.status, number.held_e164 = RELEASED, None
    number.released_at = number.updated_at = now
    await session.flush()
    await subscriptions.end(session, number.id)
    await stock.quarantine(session, number, QUARANTINE)
    await _left_project(session, number)
    await _emit(session, number, "number.released")


async def transfer(
    session: AsyncSession, who: Principal, number: PhoneNumber, sub_account_id: str
) -> PhoneNumber:
    """Move a number to another sub-account of its account; projects using it let it go."""
    canonical = ids.parse_id("sub", sub_account_id) or sub_account_id
    target = await accounts.get_sub_account(session, who, canonical)
    if target.account_id != number.account_id:
        raise NotFound("Sub-account not found.")
    if number.status == RELEASED:
        raise Conflict("This number was released.")
    if number.sub_account_id == target.id:
        return number
    if number.project_id is not None:
        await _left_project(session, number)
    number.sub_account_id, number.project_id = target.id, None
    number.updated_at = clock.now()
    orders = (
        (await session.execute(select(PortOrder).where(PortOrder.number_id == number.id)))
        .scalars()
        .all()
    )
    for order in orders:
        order.sub_account_id = target.id
    await session.flush()
    await _emit(session, number, "number.transferred")
    return number
