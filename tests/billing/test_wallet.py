"""The wallet: ledger invariants, holds for messages, top-ups, the SIP balance, the demo credit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.billing import service as wallet
from relaybox.billing.models import Hold, LedgerEntry
from relaybox.clock import FrozenClock
from relaybox.demo import ensure_demo
from relaybox.errors import InsufficientFunds
from relaybox.numbers.models import PhoneNumber
from relaybox.runtime import Runtime
from tests.messaging.conftest import Network
from tests.numbers.support import credit, held_number
from tests.support import Tenant, operator_token

USD = 1_000_000


async def assert_ledger_consistent(rt: Runtime) -> None:
    """Per account, currency and bucket: seq is 1..n and each balance_after is the running sum."""
    async with rt.db.read() as s:
        rows = (
            (
                await s.execute(
                    select(LedgerEntry).order_by(
                        LedgerEntry.account_id,
                        LedgerEntry.currency,
                        LedgerEntry.bucket,
                        LedgerEntry.seq,
                    )
                )
            )
            .scalars()
            .all()
        )
    running: dict[tuple[str, str, str], tuple[int, int]] = {}
    for row in rows:
        key = (row.account_id, row.currency, row.bucket)
        seq, total = running.get(key, (0, 0))
        assert row.seq == seq + 1, key
        assert row.balance_after == total + row.amount, key
        running[key] = (row.seq, row.balance_after)


async def balance(rt: Runtime, account_id: str) -> int:
    async with rt.db.read() as s:
        return await wallet.balance(s, account_id)


async def run(rt: Runtime, fn: Any) -> Any:
    return await rt.db.write(fn)


async def test_reserve_capture_release(runtime: Runtime, tenant: Tenant) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    acct = tenant.account_id

    async def reserve(ref: str, amount: int) -> None:
        async def work(s: AsyncSession) -> None:
            await wallet.reserve(s, account_id=acct, amount=amount, currency="usd", ref=ref)

        await runtime.db.write(work)

    async def capture(ref: str) -> None:
        async def work(s: AsyncSession) -> None:
            await wallet.capture(s, ref=ref)

        await runtime.db.write(work)

    async def release(ref: str) -> None:
        async def work(s: AsyncSession) -> None:
            await wallet.release(s, ref=ref)

        await runtime.db.write(work)

    await reserve("sms:a", 3 * USD)
    await reserve("sms:a", 3 * USD)  # the same ref again: nothing more
    assert await balance(runtime, acct) == 2 * USD
    async with runtime.db.read() as s:
        assert await wallet.ledger_balance(s, acct) == 5 * USD  # held, not yet in the ledger
        assert await wallet.held(s, acct) == 3 * USD
    await capture("sms:a")
    await capture("sms:a")
    assert await balance(runtime, acct) == 2 * USD
    async with runtime.db.read() as s:
        assert await wallet.ledger_balance(s, acct) == 2 * USD
        assert await wallet.held(s, acct) == 0
    await release("sms:a")  # captured, then failed: refunded with a ledger row
    await release("sms:a")
    await capture("sms:a")  # refunded: stays refunded
    assert await balance(runtime, acct) == 5 * USD

    await reserve("sms:b", USD)
    assert await balance(runtime, acct) == 4 * USD
    await release("sms:b")  # still held: the hold lapses, no ledger row
    await release("sms:b")
    await capture("sms:b")  # released: stays released
    assert await balance(runtime, acct) == 5 * USD

    await reserve("sms:c", 4 * USD)
    with pytest.raises(InsufficientFunds):
        await reserve("sms:d", USD + 1)  # only 1.00 is available besides the hold
    await capture("sms:unknown")
    await release("sms:unknown")
    async with runtime.db.read() as s:
        holds = {h.ref: h.state for h in (await s.execute(select(Hold))).scalars()}
        kinds = [
            (e.kind, e.amount, e.ref)
            for e in (await s.execute(select(LedgerEntry).order_by(LedgerEntry.seq))).scalars()
        ]
    assert holds == {"sms:a": "refunded", "sms:b": "released", "sms:c": "held"}
    assert kinds == [
        ("top_up", 5 * USD, None),
        ("sms_charge", -3 * USD, "sms:a"),
        ("refund", 3 * USD, "sms:a"),
    ]
    await assert_ledger_consistent(runtime)


async def test_concurrent_reserves_never_overdraw(runtime: Runtime, tenant: Tenant) -> None:
    await credit(runtime, tenant.account_id, 10 * USD)

    async def one(i: int) -> bool:
        async def work(s: AsyncSession) -> None:
            await wallet.reserve(
                s, account_id=tenant.account_id, amount=USD, currency="USD", ref=f"sms:{i}"
            )

        try:
            await runtime.db.write(work)
        except InsufficientFunds:
            return False
        return True

    outcomes = await asyncio.gather(*(one(i) for i in range(16)))
    assert outcomes.count(True) == 10
    assert await balance(runtime, tenant.account_id) == 0
    await assert_ledger_consistent(runtime)


async def test_operator_top_up_wallet_and_ledger_pages(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    op = {"Authorization": f"Bearer {await operator_token(runtime.db)}"}
    url = f"/v1/admin/accounts/{tenant.account_id}/top-up"
    r = await client.post(url, headers=op, json={"amount": "25.50", "description": "invoice 7"})
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["amount"], r.json()["balance_after"]) == (
        "top_up",
        "25.50",
        "25.50",
    )
    for bad in ("abc", "0", "-1", "1.0000001", 10**7):
        r = await client.post(url, headers=op, json={"amount": bad})
        assert r.status_code == 422, (bad, r.text)
    r = await client.post(url, headers=tenant.headers("admin", "live"), json={"amount": "1"})
    assert r.status_code == 403
    r = await client.post("/v1/admin/accounts/acct_missing/top-up", headers=op, json={"amount": 1})
    assert r.status_code == 404
    for _ in range(11):
        await client.post(url, headers=op, json={"amount": 1})

    r = await client.get("/v1/wallet", headers=tenant.headers("read"))
    assert r.json()["balance"] == "36.50" and r.json()["sip_balance"] == "0.00"
    r = await client.get(f"/v1/admin/accounts/{tenant.account_id}/wallet", headers=op)
    assert r.json()["balance"] == "36.50"
    seen: list[str] = []
    token = None
    for _ in range(3):
        q = "/v1/wallet/ledger?limit=5" + (f"&page_token={token}" if token else "")
        page = (await client.get(q, headers=tenant.headers("read"))).json()
        seen += [e["id"] for e in page["data"]]
        token = page["next_page_token"]
    assert len(seen) == len(set(seen)) == 12 and token is None
    await assert_ledger_consistent(runtime)


async def test_sip_top_up(client: Any, runtime: Runtime, tenant: Tenant) -> None:
    await credit(runtime, tenant.account_id, 30 * USD)
    live = tenant.headers("admin", "live")
    r = await client.post("/api/v1/voip/topup", headers=live, json={"amount": 25})
    assert r.status_code == 200, r.text
    assert (r.json()["wallet_balance"], r.json()["sip_balance"]) == (5.0, 25.0)
    r = await client.post("/api/v1/voip/topup", headers=live, json={"amount": 6})
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_funds"
    r = await client.post("/api/v1/voip/topup", headers=tenant.headers("admin"), json={"amount": 1})
    assert r.status_code == 403  # test keys never move money
    r = await client.post("/api/v1/voip/topup", headers=live, json={"amount": -1})
    assert r.status_code == 422
    r = await client.get("/v1/wallet", headers=tenant.headers("read"))
    assert (r.json()["balance"], r.json()["sip_balance"]) == ("5.00", "25.00")
    r = await client.get("/v1/wallet/ledger?kind=sip_topup", headers=tenant.headers("read"))
    assert sorted((e["bucket"], e["amount"]) for e in r.json()["data"]) == [
        ("app", "-25.00"),
        ("sip", "25.00"),
    ]
    await assert_ledger_consistent(runtime)


async def test_demo_account_starts_with_credit(db_url: str, tmp_path: Path) -> None:
    from relaybox.storage.database import Database

    db = Database(db_url)
    try:
        creds = await ensure_demo(db, tmp_path, credit="100.00")
        assert creds is not None
        async with db.read() as s:
            assert await wallet.balance(s, creds.account_id) == 100 * USD
            kinds = (await s.execute(select(LedgerEntry.kind))).scalars().all()
        assert kinds == ["top_up"]
    finally:
        await db.close()


# -- messaging spends the wallet -----------------------------------------------------------------


@pytest.fixture
async def network(runtime: Runtime, frozen: FrozenClock) -> AsyncIterator[Network]:
    await runtime.carriers.start(runtime.carrier_events)
    yield Network(runtime, frozen)
    await runtime.carriers.stop()


async def test_live_messages_are_charged_and_refunded_on_failure(
    client: Any, runtime: Runtime, tenant: Tenant, network: Network
) -> None:
    await credit(runtime, tenant.account_id, 2 * USD)
    r = await client.post(
        "/v1/numbers",
        headers=tenant.headers("admin", "live"),
        json={"country": "US", "project_id": tenant.project_id},
    )
    assert r.status_code == 201, r.text
    send = f"/v1/projects/{tenant.project_id}/sms/send"
    live = tenant.headers("deploy", "live")
    ok = await client.post(send, headers=live, json={"to": "+14155552671", "body": "hi"})
    assert ok.status_code == 201, ok.text
    assert ok.json()["from"] == r.json()["number"]  # the project's number is its default sender
    # the carrier is down: never accepted, the message expires and its hold is released
    failed = await client.post(
        send, headers=live, json={"to": "+15005550007", "body": "hi", "validity_seconds": 120}
    )
    assert failed.status_code == 201, failed.text
    # blocked after the carrier accepted it: captured, then refunded on the failure receipt
    rejected = await client.post(send, headers=live, json={"to": "+15005550002", "body": "hi"})
    assert rejected.status_code == 201, rejected.text
    # three holds: the available balance is down, the ledger is not (yet)
    assert await balance(runtime, tenant.account_id) == 2 * USD - 1_150_000 - 3 * 7_900
    async with runtime.db.read() as s:
        assert await wallet.ledger_balance(s, tenant.account_id) == 2 * USD - 1_150_000
    await network.run(seconds=400, step=20)
    assert (await network.message(failed.json()["id"])).status == "expired"
    assert (await network.message(rejected.json()["id"])).status == "failed"
    assert (await network.message(ok.json()["id"])).status == "delivered"
    assert await balance(runtime, tenant.account_id) == 2 * USD - 1_150_000 - 7_900
    r = await client.get("/v1/wallet/ledger", headers=tenant.headers("read"))
    moves = [(e["kind"], e["amount"], e["ref"]) for e in reversed(r.json()["data"])]
    ok_ref, rejected_ref = f"sms:{ok.json()['id']}", f"sms:{rejected.json()['id']}"
    assert moves.index(("refund", "0.0079", rejected_ref)) > moves.index(
        ("sms_charge", "-0.0079", rejected_ref)
    )
    assert {m for m in moves if m[0] not in ("top_up", "number_subscription")} == {
        ("sms_charge", "-0.0079", ok_ref),
        ("sms_charge", "-0.0079", rejected_ref),
        ("refund", "0.0079", rejected_ref),
    }

    # sandbox traffic is never charged
    test = await client.post(
        send, headers=tenant.headers("deploy"), json={"to": "+14155552671", "body": "hi"}
    )
    assert test.status_code == 201
    await network.run(seconds=2)
    async with runtime.db.read() as s:
        assert (await s.execute(select(func.count()).select_from(Hold))).scalar_one() == 3
    await assert_ledger_consistent(runtime)


async def test_live_sends_of_two_accounts_in_one_batch_hold_each_wallet(
    client: Any, runtime: Runtime, tenant: Tenant, other_tenant: Tenant, network: Network
) -> None:
    senders = {}
    for t in (tenant, other_tenant):
        await credit(runtime, t.account_id, USD)
        number_id = await held_number(runtime, t, project_id=t.project_id)
        async with runtime.db.read() as s:
            senders[t.account_id] = (await s.get(PhoneNumber, number_id)).e164  # type: ignore[union-attr]
    sends = [
        client.post(
            f"/v1/projects/{t.project_id}/sms/send",
            headers=t.headers("deploy", "live"),
            json={"to": "+14155552671", "body": "hi", "from": senders[t.account_id]},
        )
        for _ in range(5)
        for t in (tenant, other_tenant)
    ]
    results = await asyncio.gather(*sends)
    assert [r.status_code for r in results] == [201] * 10, [r.text for r in results]
    for t in (tenant, other_tenant):
        assert await balance(runtime, t.account_id) == USD - 5 * 7_900
    await network.run(seconds=5)
    async with runtime.db.read() as s:
        states = (await s.execute(select(Hold.state))).scalars().all()
        for t in (tenant, other_tenant):
            assert await wallet.held(s, t.account_id) == 0
            assert await wallet.ledger_balance(s, t.account_id) == USD - 5 * 7_900
    assert sorted(states) == ["captured"] * 10
    await assert_ledger_consistent(runtime)
