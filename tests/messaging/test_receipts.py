"""Receipts: duplicates, out of order, before the submit result, multipart; crash-safe submits."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.carriers.base import Receipt, SubmitResult
from relaybox.jobs.models import Job
from relaybox.messaging import lifecycle
from relaybox.messaging.models import Message
from relaybox.runtime import Runtime
from tests.messaging.conftest import Network
from tests.support import Tenant


async def send(client: Any, t: Tenant, to: str = "+15551230000", body: str = "hi") -> str:
    r = await client.post(
        f"/v1/projects/{t.project_id}/sms/send",
        headers=t.headers("deploy"),
        json={"to": to, "body": body},
    )
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def receipt(
    carrier_id: str, status: str, event: str, code: int | None = None, carrier: str = "testnet"
) -> Receipt:
    return Receipt(
        carrier=carrier,
        carrier_message_id=carrier_id,
        status=status,  # type: ignore[arg-type]
        event_id=event,
        carrier_status=status.upper(),
        error_code=code,
    )


async def apply(rt: Runtime, fn: Any) -> Any:
    async def work(s: AsyncSession) -> Any:
        return await fn(s)

    return await rt.db.write(work)


async def test_duplicates_and_regressions_are_no_ops(
    client: Any, runtime: Runtime, tenant: Tenant, network: Network
) -> None:
    mid = await send(client, tenant)
    await apply(
        runtime,
        lambda s: lifecycle.record_submitted(
            s, mid, "testnet", SubmitResult(carrier_message_id="A1")
        ),
    )
    assert (
        await apply(
            runtime, lambda s: lifecycle.record_receipt(s, receipt("A1", "delivered", "e1"))
        )
        is True
    )
    assert (
        await apply(
            runtime, lambda s: lifecycle.record_receipt(s, receipt("A1", "delivered", "e1"))
        )
        is False
    )  # duplicate event
    await apply(runtime, lambda s: lifecycle.record_receipt(s, receipt("A1", "accepted", "e0")))
    await apply(
        runtime, lambda s: lifecycle.record_receipt(s, receipt("A1", "undelivered", "e2", 30003))
    )
    m = await network.message(mid)
    assert m.status == "delivered" and m.error_code is None
    statuses = [e.payload["status"] for e in await network.events("sms.status")]
    assert statuses == ["sent", "delivered"]


async def test_receipt_before_submit_result_is_applied_later(
    client: Any, runtime: Runtime, tenant: Tenant, network: Network
) -> None:
    mid = await send(client, tenant)
    await apply(runtime, lambda s: lifecycle.record_receipt(s, receipt("B7", "delivered", "b")))
    assert (await network.message(mid)).status == "accepted"
    await apply(
        runtime,
        lambda s: lifecycle.record_submitted(
            s, mid, "testnet", SubmitResult(carrier_message_id="B7")
        ),
    )
    assert (await network.message(mid)).status == "delivered"


async def test_multipart_receipts_combine(
    client: Any, runtime: Runtime, tenant: Tenant, network: Network
) -> None:
    mid = await send(client, tenant, body="x" * 400)
    assert (await network.message(mid)).segments == 3
    await apply(
        runtime,
        lambda s: lifecycle.record_submitted(
            s, mid, "testnet", SubmitResult(carrier_message_id="P1", part_ids=("P1", "P2", "P3"))
        ),
    )
    for part in ("P3", "P1"):
        await apply(
            runtime,
            lambda s, p=part: lifecycle.record_receipt(s, receipt(p, "delivered", f"d-{p}")),
        )
    assert (await network.message(mid)).status == "sent"
    await apply(runtime, lambda s: lifecycle.record_receipt(s, receipt("P2", "delivered", "d2")))
    assert (await network.message(mid)).status == "delivered"

    other = await send(client, tenant, body="y" * 400)
    await apply(
        runtime,
        lambda s: lifecycle.record_submitted(
            s, other, "testnet", SubmitResult(carrier_message_id="Q1", part_ids=("Q1", "Q2"))
        ),
    )
    await apply(runtime, lambda s: lifecycle.record_receipt(s, receipt("Q1", "delivered", "q1")))
    await apply(
        runtime, lambda s: lifecycle.record_receipt(s, receipt("Q2", "undelivered", "q2", 30003))
    )
    m = await network.message(other)
    assert (m.status, m.error_code) == ("undelivered", 30003)


async def test_crash_between_submit_and_commit_never_submits_twice(
    client: Any, runtime: Runtime, tenant: Tenant, network: Network
) -> None:
    mid = await send(client, tenant)
    claimed = await network.runner.claim(10)
    (row,) = [r for r in claimed if r[1] == "sms.submit"]
    # the carrier accepts the message, then the worker dies before recording the result
    adapter = runtime.carriers.get("simulator")
    from relaybox.carriers.base import OutboundSms

    await adapter.submit(
        OutboundSms(
            message_id=mid,
            to="+15551230000",
            sender="+15005550000",
            body="hi",
            encoding="GSM-7",
            segments=1,
        )
    )

    async def expire_lease(s: AsyncSession) -> None:
        from relaybox import clock

        await s.execute(update(Job).where(Job.id == row[0]).values(locked_until=clock.now()))

    await runtime.db.write(expire_lease)
    # as a worker does at start: on PostgreSQL the retried submit and the receipt can commit at
    # once without seeing each other, and the reconciler then applies the receipt
    from relaybox.messaging.jobs import RECONCILE_EVERY, schedule_receipt_reconciler

    await runtime.db.write(lambda s: schedule_receipt_reconciler(s, network.clock.now()))
    network.clock.advance(1)
    await network.run(seconds=RECONCILE_EVERY + 1)
    m = await network.message(mid)
    assert m.status == "delivered"
    assert await network.duplicate_submits() == 0


async def test_throttled_retry_is_safe_to_resubmit(
    client: Any, runtime: Runtime, tenant: Tenant, network: Network
) -> None:
    mid = await send(client, tenant, to="+15005550005")
    await network.run(seconds=5)
    async with runtime.db.read() as s:
        m = await s.get(Message, mid)
    assert m is not None and m.status == "delivered" and m.clean_attempt == 2
    assert await network.duplicate_submits() == 0


async def test_a_receipt_that_raced_its_submit_is_applied_by_the_reconciler(
    client: Any, runtime: Runtime, tenant: Tenant, network: Network
) -> None:
    """On PostgreSQL a receipt and its submit result can commit at once, each before it could
    see the other: the receipt is stored unapplied and the submit's check finds nothing. The
    reconciler job applies it."""
    from relaybox import clock
    from relaybox.messaging.jobs import RECONCILE_JOB
    from relaybox.storage import raw

    mid = await send(client, tenant)
    await apply(runtime, lambda s: lifecycle.record_receipt(s, receipt("R9", "delivered", "r9")))

    async def submit_without_seeing_it(s: AsyncSession) -> None:
        await raw.execute(
            s,
            "INSERT INTO sms_carrier_refs (carrier, carrier_message_id, "
            "message_id, part, status, error_code, updated_at) "
            "VALUES (?, ?, ?, 1, 'sent', NULL, ?)",
            ("testnet", "R9", mid, clock.now()),
        )
        await s.execute(update(Message).where(Message.id == mid).values(status="sent"))

    await runtime.db.write(submit_without_seeing_it)
    assert (await network.message(mid)).status == "sent"

    async def schedule(s: AsyncSession) -> None:
        from relaybox.jobs import enqueue

        await enqueue(s, RECONCILE_JOB, {})

    await runtime.db.write(schedule)
    await network.runner.drain(max_rounds=3)
    assert (await network.message(mid)).status == "delivered"
