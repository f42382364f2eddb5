"""Helpers for number tests: numbers and port orders made straight in the database."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.accounts.principal import Principal
from relaybox.billing import service as wallet
from relaybox.carriers.simulator import stock as simulator
from relaybox.numbers import porting
from relaybox.numbers.models import ACTIVE, PhoneNumber
from relaybox.runtime import Runtime
from tests.support import Tenant


def live_admin(t: Tenant) -> Principal:
    return Principal(t.key_id("admin", "live"), t.account_id, None, None, "admin", "live")


async def held_number(rt: Runtime, t: Tenant, *, project_id: str | None = None) -> str:
    """An active number of ``t`` in its default sub-account (no charge, no stock item)."""
    e164 = simulator.generate("US", "local", 1)[0]

    async def work(s: AsyncSession) -> str:
        now = clock.now()
        number = PhoneNumber(
            id=ids.new_id("num"),
            account_id=t.account_id,
            sub_account_id=t.sub_account_id,
            project_id=project_id,
            e164=e164,
            held_e164=e164,
            country="US",
            type="local",
            sms=True,
            mms=True,
            voice=True,
            status=ACTIVE,
            source="purchase",
            stock_id=None,
            carrier="simulator",
            monthly_price=1_150_000,
            currency="USD",
            created_at=now,
            updated_at=now,
            activated_at=now,
            released_at=None,
        )
        s.add(number)
        await s.flush()
        return number.id

    return await rt.db.write(work)


async def port_order(rt: Runtime, t: Tenant, carrier: str = "Acme Telecom") -> str:
    e164 = simulator.generate("US", "local", 1)[0]

    async def work(s: AsyncSession) -> str:
        order = await porting.submit(
            s, live_admin(t), e164=e164, carrier=carrier, sub_account_id=t.sub_account_id
        )
        return order.id

    return await rt.db.write(work)


async def credit(rt: Runtime, account_id: str, amount: int) -> None:
    async def work(s: AsyncSession) -> None:
        await wallet.top_up(s, account_id, amount)

    await rt.db.write(work)
