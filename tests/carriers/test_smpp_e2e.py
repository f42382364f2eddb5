"""End to end on SQLite and PostgreSQL: live traffic through relaybox to a real SMSC and back.

The worker runs in-process (the job runner and the SMPP adapter on the test's loop), configured
from the carrier_connections table like a real deployment with RELAYBOX_CARRIER=smpp.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.carriers import connections
from relaybox.carriers.smpp.config import SmppConfig
from relaybox.jobs.runner import Runner
from relaybox.maintenance import schedule_maintenance
from relaybox.messaging.models import CarrierRef, Message
from relaybox.numbers.models import PhoneNumber
from relaybox.runtime import Runtime
from relaybox.settings import Settings
from tests.conftest import make_settings
from tests.numbers.support import credit, held_number
from tests.peers.smsc import Smsc
from tests.support import Tenant

HANDSET = "+447911123456"


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, carrier="smpp")


@pytest.fixture
async def smsc() -> AsyncIterator[Smsc]:
    async with Smsc(receipt_delay=0.1) as peer:
        yield peer


@pytest.fixture
async def worker(runtime: Runtime, smsc: Smsc, app: Any) -> AsyncIterator[Runtime]:
    config = SmppConfig(
        name="peer", host="127.0.0.1", port=smsc.port, system_id="relaybox", password="secret"
    )

    async def add(s: AsyncSession) -> None:
        await connections.add_smpp(s, runtime.box, config)

    await runtime.db.write(add)
    await runtime.carriers.start(runtime.carrier_events)
    # the receipt reconciler: a receipt can commit before its submit result does
    await schedule_maintenance(runtime.db)
    runner = Runner(runtime)
    runner.start()
    yield runtime
    await runner.stop()
    await runtime.carriers.stop()


@pytest.fixture
async def sender(worker: Runtime, tenant: Tenant) -> str:
    await credit(worker, tenant.account_id, 50_000_000)
    number_id = await held_number(worker, tenant, project_id=tenant.project_id)
    async with worker.db.read() as s:
        number = await s.get(PhoneNumber, number_id)
    assert number is not None
    return number.e164


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout: float = 10, why: Any = None
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out: {await why() if why else ''}"
        await asyncio.sleep(0.05)


async def status(rt: Runtime, message_id: str) -> str:
    async with rt.db.read() as s:
        m = await s.get(Message, message_id)
    assert m is not None
    return str(m.status)


async def send(
    client: httpx.AsyncClient, t: Tenant, sender: str, body: str, to: str = HANDSET
) -> str:
    r = await client.post(
        f"/v1/projects/{t.project_id}/sms/send",
        headers=t.headers("deploy", "live"),
        json={"to": to, "from": sender, "body": body},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def test_live_send_is_delivered_and_multipart_waits_for_every_part(
    client: httpx.AsyncClient, worker: Runtime, smsc: Smsc, tenant: Tenant, sender: str
) -> None:
    single = await send(client, tenant, sender, "Hello over SMPP")
    long = await send(client, tenant, sender, "x" * 300)

    async def delivered() -> bool:
        return {await status(worker, single), await status(worker, long)} == {"delivered"}

    await eventually(delivered)
    assert smsc.stats()["submits"] == 3 and smsc.stats()["duplicate_submits"] == 0

    async def acked() -> bool:
        return bool(smsc.stats()["receipts_acked"] == 3)

    await eventually(acked)
    async with worker.db.read() as s:
        m = (await s.execute(select(Message).where(Message.id == single))).scalar_one()
        parts = (
            await s.execute(
                select(CarrierRef.part, CarrierRef.status).where(CarrierRef.message_id == long)
            )
        ).all()
    assert m.carrier == "smpp"
    assert sorted(parts) == [(1, "delivered"), (2, "delivered")]  # each part's own receipt
    assert worker.carriers.health()["smpp"]["status"] == "up"
    status_page = (await client.get("/api/v1/status")).json()
    assert {"name": "carrier:smpp", "status": "operational", "detail": "1 of 1 connections up"} in (
        status_page["components"]
    )


async def test_undelivered_receipt_and_rejected_submit(
    client: httpx.AsyncClient, worker: Runtime, smsc: Smsc, tenant: Tenant, sender: str
) -> None:
    undelivered = await send(client, tenant, sender, "nobody home", to="+447911129991")
    rejected = await send(client, tenant, sender, "bad number", to="+447911129992")

    async def final() -> bool:
        return (await status(worker, undelivered), await status(worker, rejected)) == (
            "undelivered",
            "failed",
        )

    async def now() -> Any:
        return (await status(worker, undelivered), await status(worker, rejected))

    await eventually(final, why=now)
    async with worker.db.read() as s:
        u, r = await s.get(Message, undelivered), await s.get(Message, rejected)
    assert u is not None and r is not None
    assert (u.error_code, r.error_code) == (30003, 30005)


async def test_mo_lands_in_the_inbox_and_stop_opts_out(
    client: httpx.AsyncClient, worker: Runtime, smsc: Smsc, tenant: Tenant, sender: str
) -> None:
    await smsc.wait_bound(1)
    await smsc.send_mo(HANDSET, sender, "Hello from a handset")
    await smsc.send_mo(HANDSET, sender, "Hello from a handset")  # redelivered: stored once
    await smsc.send_mo(HANDSET, sender, "Two parts, ", udh=bytes.fromhex("050003420201"))
    await smsc.send_mo(HANDSET, sender, "one message", udh=bytes.fromhex("050003420202"))
    await smsc.send_mo(HANDSET, sender, "one message", udh=bytes.fromhex("050003420202"))

    async def inbox() -> list[Any]:
        r = await client.get(
            f"/v1/projects/{tenant.project_id}/sms/inbox", headers=tenant.headers("read", "live")
        )
        assert r.status_code == 200, r.text
        return list(r.json()["data"])

    async def arrived() -> bool:
        return len(await inbox()) >= 2

    await eventually(arrived, why=inbox)
    await asyncio.sleep(0.2)  # a duplicate would have landed by now
    bodies = sorted((m["body"], m["parts"]) for m in await inbox())
    assert bodies == [("Hello from a handset", 1), ("Two parts, one message", 2)]

    await smsc.send_mo(HANDSET, sender, "STOP")

    async def opted_out() -> bool:
        r = await client.post(
            f"/v1/projects/{tenant.project_id}/sms/send",
            headers=tenant.headers("deploy", "live"),
            json={"to": HANDSET, "from": sender, "body": "after stop"},
        )
        return r.status_code == 422 and r.json()["error"]["code"] == "recipient_opted_out"

    await eventually(opted_out, why=inbox)
