"""Monthly number subscriptions: the first month at purchase, then one charge per period.

Each renewal is a durable timer (a ``billing.renew`` job at the start of the next period). A
period is charged at most once per number: the ledger's unique (number_id, period) refuses a
second row however many workers or duplicate jobs try, and a renewal takes the subscription's
row lock and the wallet lock before it looks. A renewal the wallet cannot pay leaves the
subscription past due and retries every RETRY_AFTER; after GRACE the number is released.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.billing import service as wallet
from relaybox.billing.models import (
    ACTIVE,
    ENDED,
    NUMBER_SUBSCRIPTION,
    PAST_DUE,
    LedgerEntry,
    Subscription,
)
from relaybox.domain.periods import add_months, period_key
from relaybox.jobs import enqueue

RENEW_JOB = "billing.renew"
GRACE = timedelta(days=7)
RETRY_AFTER = timedelta(hours=12)

Outcome = Literal["charged", "not_due", "ended", "past_due", "lapsed"]


async def start(
    session: AsyncSession,
    *,
    number_id: str,
    account_id: str,
    amount: int,
    currency: str,
    label: str,
) -> Subscription:
    """Charge the first month (InsufficientFunds: nothing written) and schedule the next."""
    now = clock.now()
    currency = currency.upper()
    await wallet.debit(
        session,
        account_id=account_id,
        currency=currency,
        kind=NUMBER_SUBSCRIPTION,
        amount=amount,
        number_id=number_id,
        period=period_key(now, 0),
        description=f"{label}: first month",
    )
    subscription = Subscription(
        id=ids.new_id("nsub"),
        number_id=number_id,
        account_id=account_id,
        amount=amount,
        currency=currency,
        status=ACTIVE,
        anchor=now,
        periods_paid=1,
        paid_through=add_months(now, 1),
        past_due_since=None,
        created_at=now,
        updated_at=now,
        ended_at=None,
    )
    session.add(subscription)
    await session.flush()
    await _schedule(session, subscription)
    return subscription


async def _schedule(session: AsyncSession, sub: Subscription) -> None:
    await enqueue(
        session,
        RENEW_JOB,
        {"subscription_id": sub.id},
        run_at=sub.paid_through,
        dedupe_key=f"{RENEW_JOB}:{sub.id}:{sub.periods_paid}",
    )


async def for_number(session: AsyncSession, number_id: str) -> Subscription | None:
    return (
        await session.execute(select(Subscription).where(Subscription.number_id == number_id))
    ).scalar_one_or_none()


async def end(session: AsyncSession, number_id: str) -> None:
    """Stop charging (release). The month already paid is not refunded."""
    sub = await for_number(session, number_id)
    if sub is not None and sub.status != ENDED:
        now = clock.now()
        sub.status, sub.ended_at, sub.updated_at = ENDED, now, now
        await session.flush()


async def renew(session: AsyncSession, subscription_id: str) -> Outcome:
    """Charge the first unpaid period if it has started. Safe to run any number of times."""
    sub = await session.get(Subscription, subscription_id, with_for_update=True)
    if sub is None or sub.status == ENDED:
        return "ended"
    now = clock.now()
    if sub.paid_through > now:
        return "not_due"
    index = sub.periods_paid
    key = period_key(sub.anchor, index)
    await wallet.lock_wallet(session, sub.account_id, sub.currency)
    charged = (
        await session.execute(
            select(LedgerEntry.id).where(
                LedgerEntry.number_id == sub.number_id, LedgerEntry.period == key
            )
        )
    ).first()
    if charged is None:
        available = await wallet.balance(session, sub.account_id, sub.currency)
        if available < sub.amount:
            if sub.status != PAST_DUE:
                sub.status, sub.past_due_since = PAST_DUE, now
            sub.updated_at = now
            await session.flush()
            if now - sub.paid_through >= GRACE:
                return "lapsed"
            await enqueue(
                session,
                RENEW_JOB,
                {"subscription_id": sub.id},
                run_at=now + RETRY_AFTER,
                dedupe_key=f"{RENEW_JOB}:{sub.id}:{index}:{int(now.timestamp())}",
            )
            return "past_due"
        await wallet.append(
            session,
            account_id=sub.account_id,
            currency=sub.currency,
            kind=NUMBER_SUBSCRIPTION,
            amount=-sub.amount,
            number_id=sub.number_id,
            period=key,
            description=f"Monthly number subscription from {key}",
        )
    sub.periods_paid = index + 1
    sub.paid_through = add_months(sub.anchor, index + 1)
    sub.status, sub.past_due_since, sub.updated_at = ACTIVE, None, now
    await session.flush()
    await _schedule(session, sub)
    return "charged"
