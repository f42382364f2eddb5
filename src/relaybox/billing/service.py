"""The wallet: balances from the ledger, movements, holds for messages, the SIP balance.

Every function takes a session and flushes, never commits. A write locks the account's wallet
row first (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite has one writer), so a balance check
and the row that spends it cannot interleave with another writer of the same account. Several
wallets are always locked in one order (``lock_wallets``), so two batches never deadlock.

Amounts are integer micro-units (domain/money.py).

The balance is the ledger's sum (the last row's ``balance_after``) minus the open holds.
Messaging uses ``reserve`` at accept, ``capture`` on carrier acceptance and ``release`` on
final failure, each keyed by a ``ref`` (``sms:<message id>``): ``reserve`` records a hold (the
funds are no longer available, nothing is in the ledger yet); ``capture`` turns the hold into a
``sms_charge`` row; ``release`` drops a hold, or refunds a captured charge with a ``refund``
row. All three are idempotent and do nothing for an unknown ref.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.billing.models import (
    APP,
    CAPTURED,
    HELD,
    REFUND,
    REFUNDED,
    RELEASED,
    SIP,
    SIP_TOPUP,
    SMS_CHARGE,
    TOP_UP,
    Hold,
    LedgerEntry,
    Wallet,
)
from relaybox.errors import InsufficientFunds, ValidationFailed
from relaybox.storage import raw
from relaybox.storage.base import dialect_insert
from relaybox.storage.pagination import Page, paginate

DEFAULT_CURRENCY = "USD"


@dataclass(frozen=True)
class Balances:
    currency: str
    balance: int  # the app wallet's available funds: the ledger's sum minus the holds
    sip_balance: int
    held: int  # held for messages in flight (not yet in the ledger)


async def lock_wallet(session: AsyncSession, account_id: str, currency: str) -> None:
    """Take the account's wallet lock for this transaction (creating the row the first time)."""
    stmt = (
        select(Wallet.account_id)
        .where(Wallet.account_id == account_id, Wallet.currency == currency)
        .with_for_update()
    )
    if (await session.execute(stmt)).first() is not None:
        return
    await session.execute(
        dialect_insert(session, Wallet)
        .values(account_id=account_id, currency=currency, created_at=clock.now())
        .on_conflict_do_nothing(index_elements=["account_id", "currency"])
    )
    await session.execute(stmt)


async def _last(
    session: AsyncSession, account_id: str, currency: str, bucket: str
) -> tuple[int, int]:
    """(seq, balance_after) of the bucket's last ledger row; (0, 0) when it has none."""
    row = (
        await session.execute(
            select(LedgerEntry.seq, LedgerEntry.balance_after)
            .where(
                LedgerEntry.account_id == account_id,
                LedgerEntry.currency == currency,
                LedgerEntry.bucket == bucket,
            )
            .order_by(LedgerEntry.seq.desc())
            .limit(1)
        )
    ).first()
    return (int(row[0]), int(row[1])) if row is not None else (0, 0)


async def ledger_balance(
    session: AsyncSession, account_id: str, currency: str = DEFAULT_CURRENCY
) -> int:
    """The sum of the app wallet's ledger rows (the last row's running total)."""
    return (await _last(session, account_id, currency.upper(), APP))[1]


async def held(session: AsyncSession, account_id: str, currency: str = DEFAULT_CURRENCY) -> int:
    """Funds held for messages in flight."""
    total = (
        await session.execute(
            select(func.coalesce(func.sum(Hold.amount), 0)).where(
                Hold.account_id == account_id,
                Hold.currency == currency.upper(),
                Hold.state == HELD,
            )
        )
    ).scalar_one()
    return int(total)


async def balance(session: AsyncSession, account_id: str, currency: str = DEFAULT_CURRENCY) -> int:
    """The available balance in micro-units: the ledger's sum minus the open holds."""
    return await ledger_balance(session, account_id, currency) - await held(
        session, account_id, currency
    )


async def sip_balance(
    session: AsyncSession, account_id: str, currency: str = DEFAULT_CURRENCY
) -> int:
    return (await _last(session, account_id, currency.upper(), SIP))[1]


async def balances(session: AsyncSession, account_id: str) -> list[Balances]:
    """Every currency the account has a wallet in (USD at least)."""
    currencies = set(
        (await session.execute(select(Wallet.currency).where(Wallet.account_id == account_id)))
        .scalars()
        .all()
    )
    currencies.add(DEFAULT_CURRENCY)
    out = []
    for currency in sorted(currencies):
        in_flight = await held(session, account_id, currency)
        out.append(
            Balances(
                currency,
                await ledger_balance(session, account_id, currency) - in_flight,
                await sip_balance(session, account_id, currency),
                in_flight,
            )
        )
    return out


def _entry(
    account_id: str,
    currency: str,
    bucket: str,
    seq: int,
    before: int,
    kind: str,
    amount: int,
    ref: str | None,
    description: str,
    at: datetime | None,
    number_id: str | None = None,
    period: str | None = None,
) -> LedgerEntry:
    """The ledger row after one whose running total was ``before``."""
    return LedgerEntry(
        id=ids.new_id("led"),
        account_id=account_id,
        currency=currency,
        bucket=bucket,
        seq=seq,
        kind=kind,
        amount=amount,
        balance_after=before + amount,
        ref=ref,
        number_id=number_id,
        period=period,
        description=description[:200],
        created_at=at or clock.now(),
    )


async def append(
    session: AsyncSession,
    *,
    account_id: str,
    currency: str,
    kind: str,
    amount: int,
    bucket: str = APP,
    ref: str | None = None,
    number_id: str | None = None,
    period: str | None = None,
    description: str = "",
    at: datetime | None = None,
) -> LedgerEntry:
    """Append one ledger row. The caller holds the wallet lock (lock_wallet)."""
    seq, before = await _last(session, account_id, currency, bucket)
    entry = _entry(
        account_id,
        currency,
        bucket,
        seq + 1,
        before,
        kind,
        amount,
        ref,
        description,
        at,
        number_id,
        period,
    )
    session.add(entry)
    await session.flush()
    return entry


async def debit(
    session: AsyncSession,
    *,
    account_id: str,
    currency: str,
    kind: str,
    amount: int,
    ref: str | None = None,
    number_id: str | None = None,
    period: str | None = None,
    description: str = "",
) -> LedgerEntry:
    """Spend ``amount`` from the app wallet, or InsufficientFunds (nothing written)."""
    currency = currency.upper()
    await lock_wallet(session, account_id, currency)
    ensure_funds(await balance(session, account_id, currency), amount, currency)
    return await append(
        session,
        account_id=account_id,
        currency=currency,
        kind=kind,
        amount=-amount,
        ref=ref,
        number_id=number_id,
        period=period,
        description=description,
    )


def ensure_funds(available: int, amount: int, currency: str) -> None:
    if amount > available:
        raise InsufficientFunds(
            "The account balance is too low: this costs "
            f"{_fmt(amount, currency)} and {_fmt(max(available, 0), currency)} is available."
        )


def _fmt(amount: int, currency: str) -> str:
    from relaybox.domain.money import Money

    return f"{Money(amount, currency).format()} {currency}"


async def top_up(
    session: AsyncSession,
    account_id: str,
    amount: int,
    currency: str = DEFAULT_CURRENCY,
    *,
    description: str = "Top-up",
    ref: str | None = None,
) -> LedgerEntry:
    if amount <= 0:
        raise ValidationFailed.field("amount", "amount must be positive")
    currency = currency.upper()
    await lock_wallet(session, account_id, currency)
    return await append(
        session,
        account_id=account_id,
        currency=currency,
        kind=TOP_UP,
        amount=amount,
        ref=ref,
        description=description,
    )


async def sip_top_up(
    session: AsyncSession, account_id: str, amount: int, currency: str = DEFAULT_CURRENCY
) -> tuple[LedgerEntry, LedgerEntry]:
    """Move funds from the app wallet to the SIP balance (two rows, one per bucket)."""
    if amount <= 0:
        raise ValidationFailed.field("amount", "amount must be positive")
    currency = currency.upper()
    ref = ids.new_id("siptop")
    out = await debit(
        session,
        account_id=account_id,
        currency=currency,
        kind=SIP_TOPUP,
        amount=amount,
        ref=ref,
        description="Moved to the SIP balance",
    )
    into = await append(
        session,
        account_id=account_id,
        currency=currency,
        kind=SIP_TOPUP,
        amount=amount,
        bucket=SIP,
        ref=ref,
        description="Moved from the app wallet",
    )
    return out, into


# -- holds (messaging) --------------------------------------------------------------------------


async def lock_accounts(session: AsyncSession, account_ids: Iterable[str]) -> None:
    """Lock every wallet of these accounts in one statement, in one order (a batch of sends
    from several accounts then cannot deadlock with another batch)."""
    wanted = sorted(set(account_ids))
    if wanted:
        await session.execute(
            select(Wallet.account_id)
            .where(Wallet.account_id.in_(wanted))
            .order_by(Wallet.account_id, Wallet.currency)
            .with_for_update()
        )


async def lock_wallets(session: AsyncSession, wallets: Iterable[tuple[str, str]]) -> None:
    """Lock several (account, currency) wallets, always in the same order."""
    for account_id, currency in sorted(set(wallets)):
        await lock_wallet(session, account_id, currency)


async def reserve(
    session: AsyncSession, *, account_id: str, amount: int, currency: str, ref: str
) -> None:
    """Hold ``amount`` for ``ref`` (InsufficientFunds, nothing written, if the available
    balance is short). A second reserve of the same ref does nothing."""
    currency = currency.upper()
    await lock_wallet(session, account_id, currency)
    if (await session.execute(select(Hold.ref).where(Hold.ref == ref))).first() is not None:
        return
    ensure_funds(await balance(session, account_id, currency), amount, currency)
    now = clock.now()
    await session.execute(
        dialect_insert(session, Hold)
        .values(
            ref=ref,
            account_id=account_id,
            currency=currency,
            amount=amount,
            state=HELD,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["ref"])
    )


async def capture(session: AsyncSession, *, ref: str) -> None:
    """The carrier accepted: the hold becomes a ``sms_charge`` row. Idempotent; no-op for an
    unknown, released or refunded ref."""
    await settle(session, capture=[ref])


async def release(session: AsyncSession, *, ref: str) -> None:
    """Final failure: a held amount is released (no ledger row), a captured one is refunded (a
    ``refund`` row). Idempotent; no-op for an unknown ref."""
    await settle(session, release=[ref])


async def settle(
    session: AsyncSession, *, capture: Sequence[str] = (), release: Sequence[str] = ()
) -> None:
    """Capture and release many refs at once (a batch of message outcomes): the wallets involved
    are locked in one order, then each hold moves at most once."""
    refs = [*capture, *release]
    if not refs:
        return
    holds = (
        (await session.execute(select(Hold).where(Hold.ref.in_(refs)).order_by(Hold.ref)))
        .scalars()
        .all()
    )
    moving = {h.ref: h for h in holds if h.state in (HELD, CAPTURED)}
    if not moving:
        return
    await lock_wallets(session, ((h.account_id, h.currency) for h in moving.values()))
    now = clock.now()
    capturing = [r for r in dict.fromkeys(capture) if r in moving]
    captured = await _move_many(session, capturing, HELD, CAPTURED, now)
    await _append_many(
        session,
        [moving[r] for r in capturing if r in captured],
        kind=SMS_CHARGE,
        sign=-1,
        description="Message segments",
        at=now,
    )
    for ref in release:
        h = moving.get(ref)
        if h is None or await _move(session, ref, HELD, RELEASED, now):
            continue  # unknown, or a hold that simply lapses
        if await _move(session, ref, CAPTURED, REFUNDED, now):
            await append(
                session,
                account_id=h.account_id,
                currency=h.currency,
                kind=REFUND,
                amount=h.amount,
                ref=ref,
                description="Refund: message failed",
                at=now,
            )


async def _move_many(
    session: AsyncSession, refs: Sequence[str], before: str, after: str, now: datetime
) -> set[str]:
    """Move many holds from ``before`` to ``after`` in one statement; returns the refs moved
    (exactly one caller moves each)."""
    if not refs:
        return set()
    rows = await raw.fetch(
        session,
        f"UPDATE wallet_holds SET state = ?, updated_at = ? WHERE state = ? "
        f"AND ref IN ({raw.marks(len(refs))}) RETURNING ref",
        (after, now, before, *refs),
    )
    return {row[0] for row in rows}


async def _append_many(
    session: AsyncSession,
    holds: Sequence[Hold],
    *,
    kind: str,
    sign: int,
    description: str,
    at: datetime,
) -> None:
    """One ledger row per hold, in order, each wallet's running total read once. The caller
    holds the wallets' locks."""
    last: dict[tuple[str, str], tuple[int, int]] = {}
    for h in holds:
        key = (h.account_id, h.currency)
        if key not in last:
            last[key] = await _last(session, h.account_id, h.currency, APP)
        seq, before = last[key]
        amount = sign * h.amount
        last[key] = (seq + 1, before + amount)
        session.add(
            _entry(
                h.account_id, h.currency, APP, seq + 1, before, kind, amount, h.ref, description, at
            )
        )
    if holds:
        await session.flush()


async def _move(session: AsyncSession, ref: str, before: str, after: str, now: datetime) -> bool:
    """Move a hold between states if it is in ``before`` (exactly one caller wins)."""
    moved = (
        await session.execute(
            update(Hold)
            .where(Hold.ref == ref, Hold.state == before)
            .values(state=after, updated_at=now)
            .returning(Hold.ref)
            .execution_options(synchronize_session=False)
        )
    ).first()
    return moved is not None


# -- reads ---------------------------------------------------------------------------------------


async def ledger(
    session: AsyncSession,
    account_id: str,
    limit: int,
    after: str | None,
    *,
    kind: str | None = None,
    currency: str | None = None,
) -> Page[LedgerEntry]:
    stmt = select(LedgerEntry).where(LedgerEntry.account_id == account_id)
    if kind:
        stmt = stmt.where(LedgerEntry.kind == kind)
    if currency:
        stmt = stmt.where(LedgerEntry.currency == currency.upper())
    return await paginate(session, stmt, LedgerEntry.id, limit, after)
