"""Money for messages: reserve at accept, capture on carrier acceptance, release on failure.

Sandbox traffic is never charged (callers skip test messages). The wallet is billing/service.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.billing import service as billing


def ref(message_id: str) -> str:
    return f"sms:{message_id}"


async def lock(session: AsyncSession, account_ids: Iterable[str]) -> None:
    """Before a batch reserves: lock the accounts' wallets in one order."""
    await billing.lock_accounts(session, account_ids)


async def reserve(
    session: AsyncSession, account_id: str, message_id: str, amount: int, currency: str
) -> None:
    if amount > 0:
        await billing.reserve(
            session, account_id=account_id, amount=amount, currency=currency, ref=ref(message_id)
        )


async def capture(session: AsyncSession, message_id: str) -> None:
    await billing.capture(session, ref=ref(message_id))


async def release(session: AsyncSession, message_id: str) -> None:
    await billing.release(session, ref=ref(message_id))


async def settle(
    session: AsyncSession, *, captured: Sequence[str] = (), released: Sequence[str] = ()
) -> None:
    """A batch of outcomes at once: captures for carrier acceptances, then releases (refunds)
    for final failures; the wallets involved are locked in one order."""
    if captured or released:
        await billing.settle(
            session,
            capture=[ref(m) for m in captured],
            release=[ref(m) for m in released],
        )
