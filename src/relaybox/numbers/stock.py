"""The stock of purchasable numbers: search, reservations, claims, replenishment, CSV rows.

An item is *open* to a workspace when it is available and not reserved by another workspace
(a reservation whose time has passed reserves nothing). Buying claims an item with one
conditional UPDATE (available → sold): of two concurrent buyers exactly one changes the row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import phonenumbers
from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.carriers.simulator import stock as simulator
from relaybox.domain.inventory import Filters, normalize_capabilities, normalize_type
from relaybox.domain.money import Money
from relaybox.errors import Conflict, DomainError, NotFound
from relaybox.jobs import enqueue
from relaybox.numbers import catalog
from relaybox.numbers.models import AVAILABLE, QUARANTINED, SOLD, PhoneNumber, StockItem
from relaybox.storage.base import dialect_insert
from relaybox.storage.database import Database
from relaybox.storage.pagination import Page, decode_cursor, encode_cursor

LOW_WATER = 10  # the simulator tops a (country, type) up when fewer are open ...
TARGET = 25  # ... to this many
PREFIX_BATCH = 10  # numbers made for an area code nobody stocked yet
REPLENISH_JOB = "numbers.replenish"
UNQUARANTINE_JOB = "numbers.unquarantine"
RESERVATION_DEFAULT = timedelta(minutes=10)
RESERVATION_MAX = timedelta(hours=1)


class NumberUnavailable(Conflict):
    code, default_message = "number_unavailable", "That number is no longer available."


def open_to(now: datetime, sub_account_id: str | None = None) -> ColumnElement[bool]:
    free = or_(StockItem.reserved_until.is_(None), StockItem.reserved_until <= now)
    if sub_account_id is not None:
        free = or_(free, StockItem.reserved_by == sub_account_id)
    return and_(StockItem.status == AVAILABLE, free)


def _filtered(stmt: Select[Any], f: Filters) -> Select[Any]:
    if f.countries:
        stmt = stmt.where(StockItem.country.in_(f.countries))
    if f.type:
        stmt = stmt.where(StockItem.type == f.type)
    if f.prefix:
        stmt = stmt.where(StockItem.e164.like(f"{f.prefix}%"))
    if f.contains:
        stmt = stmt.where(StockItem.e164.like(f.contains))
    for cap in f.capabilities:
        stmt = stmt.where(getattr(StockItem, cap).is_(True))
    return stmt


async def search(
    session: AsyncSession,
    f: Filters,
    limit: int,
    after: str | None,
    *,
    sub_account_id: str | None = None,
) -> Page[StockItem]:
    """Open items matching ``f``, in number order; ``after`` is a previous page's cursor."""
    stmt = _filtered(select(StockItem).where(open_to(clock.now(), sub_account_id)), f)
    last = decode_cursor(after)
    if last is not None:
        stmt = stmt.where(StockItem.e164 > last)
    rows = list(
        (await session.execute(stmt.order_by(StockItem.e164).limit(limit + 1))).scalars().all()
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(rows[-1].e164) if more and rows else None)


async def search_restocking(
    db: Database, f: Filters, limit: int, after: str | None, sub_account_id: str | None
) -> Page[StockItem]:
    """``search`` for the API: on a first page, the simulator first restocks what the search
    asks for when it runs low (its own short unit of work), then the search reads."""
    if after is None:
        async with db.read() as session:
            needs = await shortfall(session, f)
        if needs:

            async def work(session: AsyncSession) -> None:
                await fill(session, needs)

            await db.write(work)
    async with db.read() as session:
        return await search(session, f, limit, after, sub_account_id=sub_account_id)


async def get(session: AsyncSession, item_id: str) -> StockItem:
    item = await session.get(StockItem, item_id)
    if item is None:
        raise NotFound("Number stock item not found.")
    return item


async def by_number(session: AsyncSession, e164: str) -> StockItem | None:
    return (
        await session.execute(select(StockItem).where(StockItem.e164 == e164))
    ).scalar_one_or_none()


# -- replenishment ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Need:
    country: str
    type: str
    count: int
    national_prefix: str | None = None


async def shortfall(session: AsyncSession, f: Filters) -> list[Need]:
    """What the simulator should add so that this search finds numbers."""
    now = clock.now()
    wanted = [
        (country, kind)
        for country, kind in simulator.supplied()
        if (not f.countries or country in f.countries) and (not f.type or kind == f.type)
    ]
    if not wanted:
        return []
    counts = dict(
        (
            (country, kind),
            count,
        )
        for country, kind, count in (
            await session.execute(
                select(StockItem.country, StockItem.type, func.count())
                .where(open_to(now), StockItem.source == "simulator")
                .where(StockItem.country.in_({c for c, _ in wanted}))
                .group_by(StockItem.country, StockItem.type)
            )
        ).all()
    )
    needs = [
        Need(country, kind, TARGET - counts.get((country, kind), 0))
        for country, kind in wanted
        if counts.get((country, kind), 0) < LOW_WATER
    ]
    located = f.national_prefix
    if located is not None and f.prefix is not None:
        country, national = located
        found = (
            await session.execute(
                select(func.count())
                .select_from(StockItem)
                .where(open_to(now), StockItem.e164.like(f"{f.prefix}%"))
            )
        ).scalar_one()
        if found < PREFIX_BATCH and national:
            kinds = [f.type] if f.type else [k for c, k in simulator.supplied() if c == country]
            needs.extend(Need(country, k, PREFIX_BATCH, national) for k in kinds)
    return needs


async def fill(session: AsyncSession, needs: Iterable[Need]) -> int:
    """Add simulator stock for ``needs``. Returns how many items were added."""
    added = 0
    for need in needs:
        if need.count <= 0:
            continue
        candidates = simulator.generate(
            need.country, need.type, need.count, national_prefix=need.national_prefix
        )
        if not candidates:
            continue
        held = set(
            (
                await session.execute(
                    select(PhoneNumber.held_e164).where(PhoneNumber.held_e164.in_(candidates))
                )
            )
            .scalars()
            .all()
        )
        sms, mms, voice = catalog.default_capabilities(need.country, need.type)
        rows = [
            StockRow(
                e164=e164,
                country=need.country,
                type=need.type,
                sms=sms,
                mms=mms,
                voice=voice,
                monthly_price=catalog.monthly_price(need.country, need.type),
                currency=catalog.CURRENCY,
                carrier="simulator",
            )
            for e164 in candidates
            if e164 not in held
        ]
        added += await insert_rows(session, rows, source="simulator")
    return added


async def replenish_later(session: AsyncSession, country: str, kind: str) -> None:
    """Schedule a top-up of what was just bought (at most one per minute and kind)."""
    if (country, kind) not in simulator.supplied():
        return
    slot = int(clock.now().timestamp()) // 60
    await enqueue(
        session,
        REPLENISH_JOB,
        {"country": country, "type": kind},
        dedupe_key=f"{REPLENISH_JOB}:{country}:{kind}:{slot}",
    )


# -- reservations and claims -------------------------------------------------------------------


def reservation_length(seconds: int | None) -> timedelta:
    if seconds is None:
        return RESERVATION_DEFAULT
    return min(max(timedelta(seconds=seconds), timedelta(seconds=60)), RESERVATION_MAX)


async def reserve(
    session: AsyncSession, item_ids: list[str], sub_account_id: str, length: timedelta
) -> list[StockItem]:
    """Reserve items for a workspace until now + ``length`` (renews its own reservations)."""
    now = clock.now()
    until = now + length
    out = []
    for item_id in sorted(set(item_ids)):
        done = await session.execute(
            update(StockItem)
            .where(StockItem.id == item_id, open_to(now, sub_account_id))
            .values(reserved_by=sub_account_id, reserved_until=until, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            item = await get(session, item_id)
            raise NumberUnavailable(f"{item.e164} is not available.")
        out.append(await session.get(StockItem, item_id, populate_existing=True))
    return [item for item in out if item is not None]


async def claim(
    session: AsyncSession, item: StockItem, sub_account_id: str | None, *, reserved: bool
) -> None:
    """Take ``item`` out of stock for a buyer, or NumberUnavailable. With ``reserved`` the
    buyer's workspace must hold an unexpired reservation on it."""
    now = clock.now()
    if reserved:
        condition = and_(
            StockItem.status == AVAILABLE,
            StockItem.reserved_by == sub_account_id,
            StockItem.reserved_until > now,
        )
    else:
        condition = open_to(now, sub_account_id)
    done = await session.execute(
        update(StockItem)
        .where(StockItem.id == item.id, condition)
        .values(status=SOLD, reserved_by=None, reserved_until=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        if reserved:
            raise NumberUnavailable(
                f"{item.e164} is not reserved by this workspace (reserve it first)."
            )
        raise NumberUnavailable(f"{item.e164} is no longer available.")
    await session.refresh(item)


async def quarantine(session: AsyncSession, number: PhoneNumber, length: timedelta) -> StockItem:
    """A released number rests for ``length`` before it is sold again."""
    now = clock.now()
    item = await session.get(StockItem, number.stock_id) if number.stock_id else None
    if item is None:
        item = await by_number(session, number.e164)
    if item is None:  # a ported-in number joins our stock
        item = StockItem(
            id=ids.new_id("nsi"),
            e164=number.e164,
            country=number.country,
            type=number.type,
            sms=number.sms,
            mms=number.mms,
            voice=number.voice,
            monthly_price=catalog.monthly_price(number.country, number.type),
            currency=catalog.CURRENCY,
            carrier=number.carrier,
            source="released",
            status=QUARANTINED,
            created_at=now,
            updated_at=now,
        )
        session.add(item)
    item.status, item.reserved_by, item.reserved_until = QUARANTINED, None, None
    item.available_at, item.updated_at = now + length, now
    await session.flush()
    await enqueue(
        session,
        UNQUARANTINE_JOB,
        {"stock_id": item.id},
        run_at=item.available_at,
        dedupe_key=f"{UNQUARANTINE_JOB}:{item.id}:{int(item.available_at.timestamp())}",
    )
    return item


async def end_quarantine(session: AsyncSession, item_id: str) -> bool:
    now = clock.now()
    done = await session.execute(
        update(StockItem)
        .where(
            StockItem.id == item_id,
            StockItem.status == QUARANTINED,
            StockItem.available_at <= now,
        )
        .values(status=AVAILABLE, available_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(done.rowcount)  # type: ignore[attr-defined]


# -- rows (simulator and CSV) --------------------------------------------------------------------


@dataclass(frozen=True)
class StockRow:
    e164: str
    country: str
    type: str
    sms: bool
    mms: bool
    voice: bool
    monthly_price: int
    currency: str
    carrier: str


async def insert_rows(session: AsyncSession, rows: list[StockRow], *, source: str) -> int:
    """Insert rows, skipping numbers already in stock. Returns how many were new."""
    if not rows:
        return 0
    now = clock.now()
    values = [
        {
            "id": ids.new_id("nsi"),
            "e164": row.e164,
            "country": row.country,
            "type": row.type,
            "sms": row.sms,
            "mms": row.mms,
            "voice": row.voice,
            "monthly_price": row.monthly_price,
            "currency": row.currency,
            "carrier": row.carrier,
            "source": source,
            "status": AVAILABLE,
            "reserved_by": None,
            "reserved_until": None,
            "available_at": None,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    result = await session.execute(
        dialect_insert(session, StockItem)
        .values(values)
        .on_conflict_do_nothing(index_elements=["e164"])
        .returning(StockItem.id)
    )
    return len(result.all())


CSV_COLUMNS = ("number", "country", "type", "capabilities", "monthly_price", "currency", "carrier")


def parse_csv(text: str) -> tuple[int, Iterator[tuple[int, StockRow | str]]]:
    """(how many records, an iterator of (line, row) per record, or (line, error message) for a
    record that is wrong). ValueError at once when the header is missing."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "number" not in [h.strip() for h in reader.fieldnames]:
        raise ValueError(f"the first line must be a header with {', '.join(CSV_COLUMNS)}")
    total = sum(1 for _ in csv.DictReader(io.StringIO(text)))
    return total, _rows(reader)


def _rows(reader: csv.DictReader[str]) -> Iterator[tuple[int, StockRow | str]]:
    for record in reader:
        line = reader.line_num
        fields = {(k or "").strip().lower(): (v or "").strip() for k, v in record.items()}
        try:
            yield line, parse_csv_row(fields)
        except DomainError as exc:
            yield line, exc.message
        except ValueError as exc:
            yield line, str(exc)


def parse_csv_row(fields: dict[str, str]) -> StockRow:
    """One CSV record. Only ``number`` is required: country and type come from libphonenumber
    when omitted (short codes must give both), price and capabilities from the catalog."""
    raw = fields.get("number", "")
    country = fields.get("country", "").upper() or None
    kind = normalize_type(fields["type"]) if fields.get("type") else None
    if kind == simulator.SHORT_CODE or (raw.isdigit() and 3 <= len(raw) <= 8):
        if not raw.isdigit() or not 3 <= len(raw) <= 8:
            raise ValueError(f"{raw!r} is not a 3-8 digit short code")
        if country is None or not phonenumbers.country_code_for_region(country):
            raise ValueError("a short code needs its country")
        e164, kind = raw, simulator.SHORT_CODE
    else:
        e164 = raw if raw.startswith("+") else f"+{raw}"
        found = simulator.classify(e164)
        if found is None:
            raise ValueError(f"{raw!r} is not a valid local, mobile or toll-free number")
        region, detected = found
        kind = kind or detected
        if kind != detected:
            raise ValueError(f"{raw!r} is a {detected} number, not {kind}")
        country = country or region
        if not simulator.matches(e164, country, kind):
            raise ValueError(f"{raw!r} is not a number of {country}")
    caps = fields.get("capabilities", "")
    if caps:
        chosen = normalize_capabilities(caps.replace(";", " ").replace("|", " ").split())
        sms, mms, voice = ("sms" in chosen, "mms" in chosen, "voice" in chosen)
    else:
        sms, mms, voice = catalog.default_capabilities(country, kind)
    currency = (fields.get("currency") or catalog.CURRENCY).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ValueError(f"{currency!r} is not a currency code")
    price_text = fields.get("monthly_price", "")
    if price_text:
        price = Money.parse(price_text, currency).amount
        if price < 0:
            raise ValueError("monthly_price cannot be negative")
    else:
        price = catalog.monthly_price(country, kind)
    carrier = fields.get("carrier") or "simulator"
    return StockRow(e164, country, kind, sms, mms, voice, price, currency, carrier[:40])
