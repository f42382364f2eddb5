"""Monthly number billing: once per number per period, however many workers run it."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.billing import service as wallet
from relaybox.billing.models import LedgerEntry, Subscription
from relaybox.billing.subscriptions import RENEW_JOB
from relaybox.clock import FrozenClock
from relaybox.domain.periods import add_months
from relaybox.jobs import enqueue
from relaybox.jobs.runner import Runner
from relaybox.numbers.models import PhoneNumber
from relaybox.runtime import Runtime
from tests.billing.test_wallet import assert_ledger_consistent
from tests.numbers.support import credit
from tests.support import Tenant

USD = 1_000_000
DAY = 86400.0
start = datetime(2027, 1, 31, 12, 0, tzinfo=UTC)  # a month end: renewals clamp to shorter months


def travel(frozen: FrozenClock, when: datetime) -> None:
    frozen.advance((when - frozen.now()).total_seconds())


@pytest.fixture(autouse=True)
def anchored(frozen: FrozenClock) -> None:
    travel(frozen, start)


async def buy(client: Any, t: Tenant, n: int) -> list[str]:
    out = []
    for _ in range(n):
        r = await client.post(
            "/v1/numbers", headers=t.headers("admin", "live"), json={"country": "US"}
        )
        assert r.status_code == 201, r.text
        out.append(r.json()["id"])
    return out


async def charges(rt: Runtime) -> Counter[str]:
    async with rt.db.read() as s:
        rows = (
            await s.execute(
                select(LedgerEntry.number_id).where(LedgerEntry.kind == "number_subscription")
            )
        ).scalars()
        return Counter(str(r) for r in rows)


async def subscriptions(rt: Runtime) -> list[Subscription]:
    async with rt.db.read() as s:
        return list((await s.execute(select(Subscription))).scalars().all())


async def test_each_period_is_billed_once_by_two_workers(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    await credit(runtime, tenant.account_id, 100 * USD)
    bought = await buy(client, tenant, 4)
    assert await charges(runtime) == Counter(dict.fromkeys(bought, 1))

    async def duplicate_jobs(s: AsyncSession) -> None:
        # Job dedupe aside: extra renewal jobs for every subscription, as if a bug or an
        # operator enqueued them again. The ledger's unique (number, period) still holds.
        for sub in (await s.execute(select(Subscription))).scalars():
            for _ in range(3):
                await enqueue(s, RENEW_JOB, {"subscription_id": sub.id})

    workers = [Runner(runtime, worker_id="w1"), Runner(runtime, worker_id="w2")]
    for months, expected in ((1, 2), (3, 4)):
        travel(frozen, add_months(start, months))
        frozen.advance(60)
        await runtime.db.write(duplicate_jobs)
        await asyncio.gather(*(w.drain() for w in workers))
        assert await charges(runtime) == Counter(dict.fromkeys(bought, expected))
    periods = Counter[tuple[str, str]]()
    async with runtime.db.read() as s:
        for row in (await s.execute(select(LedgerEntry))).scalars():
            if row.number_id:
                periods[(row.number_id, str(row.period))] += 1
    assert set(periods.values()) == {1}
    assert {s.periods_paid for s in await subscriptions(runtime)} == {4}
    r = await client.get("/v1/wallet", headers=tenant.headers("read"))
    assert r.json()["balance"] == f"{100 - 16 * 1.15:.2f}"
    await assert_ledger_consistent(runtime)


async def test_the_ledger_refuses_a_second_charge_for_a_period(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    (number_id,) = await buy(client, tenant, 1)

    async def again(s: AsyncSession) -> None:
        await wallet.lock_wallet(s, tenant.account_id, "USD")
        await wallet.append(
            s,
            account_id=tenant.account_id,
            currency="USD",
            kind="number_subscription",
            amount=-1,
            number_id=number_id,
            period=start.date().isoformat(),
        )

    with pytest.raises(IntegrityError):
        await runtime.db.write(again)


async def test_periods_follow_the_calendar_from_the_anchor(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    await credit(runtime, tenant.account_id, 10 * USD)
    (number_id,) = await buy(client, tenant, 1)
    runner = Runner(runtime)
    frozen.advance(200 * DAY)  # the worker was down for months: it catches up
    await runner.drain()
    async with runtime.db.read() as s:
        periods = (
            await s.execute(
                select(LedgerEntry.period)
                .where(LedgerEntry.number_id == number_id)
                .order_by(LedgerEntry.seq)
            )
        ).scalars()
        assert list(periods) == [
            "2027-01-31",
            "2027-02-28",
            "2027-03-31",
            "2027-04-30",
            "2027-05-31",
            "2027-06-30",
            "2027-07-31",
        ]
    (sub,) = await subscriptions(runtime)
    assert sub.paid_through == datetime(2027, 8, 31, 12, 0, tzinfo=UTC)


async def test_unpaid_renewal_goes_past_due_then_lapses(
    client: Any, runtime: Runtime, tenant: Tenant, other_tenant: Tenant, frozen: FrozenClock
) -> None:
    runner = Runner(runtime)
    for t in (tenant, other_tenant):
        await credit(runtime, t.account_id, 1_150_000)  # the first month only
    (paid_late,) = await buy(client, tenant, 1)
    (never_paid,) = await buy(client, other_tenant, 1)
    travel(frozen, add_months(start, 1))
    await runner.drain()
    assert {s.status for s in await subscriptions(runtime)} == {"past_due"}
    r = await client.get(f"/v1/numbers/{paid_late}", headers=tenant.headers("read"))
    assert r.json()["status"] == "active" and r.json()["billing_status"] == "past_due"

    await credit(runtime, tenant.account_id, 5 * USD)
    frozen.advance(12 * 3600)  # the next retry
    await runner.drain()
    r = await client.get(f"/v1/numbers/{paid_late}", headers=tenant.headers("read"))
    assert r.json()["billing_status"] == "active"

    for _ in range(14):
        frozen.advance(12 * 3600)
        await runner.drain()
    async with runtime.db.read() as s:
        late = await s.get(PhoneNumber, paid_late)
        lapsed = await s.get(PhoneNumber, never_paid)
    assert late is not None and late.status == "active"
    assert lapsed is not None and lapsed.status == "released"
    assert await charges(runtime) == Counter({paid_late: 2, never_paid: 1})
    await assert_ledger_consistent(runtime)
