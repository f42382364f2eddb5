"""Sending on the native surface against the simulator: lifecycle, outcomes, validation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.messaging.conftest import Network
from tests.support import Tenant


def send_url(t: Tenant) -> str:
    return f"/v1/projects/{t.project_id}/sms/send"


async def test_spec_example_sends_and_is_delivered_to_the_handset(
    client: Any, tenant: Tenant, network: Network
) -> None:
    r = await client.post(
        send_url(tenant),
        headers=tenant.headers("deploy"),
        json={"to": "+15551230000", "from": "+15557890000", "body": "Your code is 123456"},
    )
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["status"] == "accepted" and sent["stubbed"] is True
    assert (sent["to"], sent["from"], sent["encoding"], sent["segments"]) == (
        "+15551230000",
        "+15557890000",
        "GSM-7",
        1,
    )
    assert sent["id"].startswith("sms_") and sent["price"] >= 0
    await network.run()
    m = await network.message(sent["id"])
    assert m.status == "sent" and m.handed_off_at is not None and m.carrier == "simulator"
    await network.run(seconds=1)
    m = await network.message(sent["id"])
    assert m.status == "delivered" and m.delivered_at >= m.handed_off_at
    r = await client.get(
        "/v1/simulator/handsets/+15551230000/messages", headers=tenant.headers("read")
    )
    received = r.json()["data"]
    assert [(x["body"], x["from"], x["status"]) for x in received] == [
        ("Your code is 123456", "+15557890000", "delivered")
    ]
    assert await network.duplicate_submits() == 0


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("+15005550001", "undelivered", 30003),
        ("+15005550002", "failed", 30004),
        ("+15005550003", "sent", None),
        ("+15005550008", "undelivered", 30005),
        ("+15005550009", "failed", 30007),
    ],
)
async def test_magic_outcomes(
    client: Any, tenant: Tenant, network: Network, number: str, status: str, code: int | None
) -> None:
    r = await client.post(
        send_url(tenant), headers=tenant.headers("deploy"), json={"to": number, "body": "hello"}
    )
    assert r.status_code == 201, r.text
    await network.run(seconds=5)
    m = await network.message(r.json()["id"])
    assert (m.status, m.error_code) == (status, code)


async def test_slow_receipt_and_throttling(client: Any, tenant: Tenant, network: Network) -> None:
    slow = (
        await client.post(
            send_url(tenant),
            headers=tenant.headers("deploy"),
            json={"to": "+15005550004", "body": "slow"},
        )
    ).json()["id"]
    throttled = (
        await client.post(
            send_url(tenant),
            headers=tenant.headers("deploy"),
            json={"to": "+15005550005", "body": "busy"},
        )
    ).json()["id"]
    await network.run(seconds=5)
    assert (await network.message(slow)).status == "sent"
    assert (await network.message(throttled)).status == "delivered"
    await network.run(seconds=30)
    assert (await network.message(slow)).status == "delivered"
    assert await network.duplicate_submits() == 0


async def test_carrier_down_expires_after_validity(
    client: Any, tenant: Tenant, network: Network
) -> None:
    r = await client.post(
        send_url(tenant),
        headers=tenant.headers("deploy"),
        json={"to": "+15005550007", "body": "x", "validity_seconds": 120},
    )
    await network.run(seconds=60, step=5)
    assert (await network.message(r.json()["id"])).status == "accepted"
    await network.run(seconds=400, step=20)
    m = await network.message(r.json()["id"])
    assert m.status == "expired" and m.error_code == 30036


async def test_gsm_ucs2_and_long_bodies(client: Any, tenant: Tenant) -> None:
    cases = [
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("€" * 80, "GSM-7", 1),
        ("€" * 81, "GSM-7", 2),
        ("héllo ñ", "GSM-7", 1),
        ("Привет", "UCS-2", 1),
        ("😀" * 36, "UCS-2", 2),
    ]
    for body, enc, segments in cases:
        r = await client.post(
            send_url(tenant),
            headers=tenant.headers("deploy"),
            json={"to": "+15551230000", "body": body},
        )
        assert (r.json()["encoding"], r.json()["segments"]) == (enc, segments), body


async def test_validation_errors(client: Any, tenant: Tenant) -> None:
    h = tenant.headers("deploy")
    cases = [
        ({"to": "5551230000", "body": "x"}, 400, "invalid_number"),
        ({"to": "+1", "body": "x"}, 400, "invalid_number"),
        ({"to": "+15551230000", "from": "+15551230000", "body": "x"}, 400, "to_equals_from"),
        ({"to": "+15551230000", "body": ""}, 422, "body_invalid"),
        ({"to": "+15551230000", "body": "   "}, 422, "body_invalid"),
        ({"to": "+15551230000", "body": "x" * 1601}, 422, "body_invalid"),
        ({"to": "+15005550006", "body": "x"}, 400, "landline"),
        ({"to": "+15551230000", "from": "not a sender!", "body": "x"}, 400, None),
        ({"body": "x"}, 422, "validation_failed"),
    ]
    for body, status, code in cases:
        r = await client.post(send_url(tenant), headers=h, json=body)
        assert r.status_code == status, (body, r.text)
        if code:
            assert r.json()["error"]["code"] == code, (body, r.text)


async def test_live_traffic_needs_valid_numbers(client: Any, tenant: Tenant) -> None:
    r = await client.post(
        send_url(tenant),
        headers=tenant.headers("deploy", "live"),
        json={"to": "+15551230000", "body": "x"},
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_number"


async def test_other_tenant_project_is_404(
    client: Any, tenant: Tenant, other_tenant: Tenant
) -> None:
    r = await client.post(
        send_url(other_tenant),
        headers=tenant.headers("deploy"),
        json={"to": "+15551230000", "body": "x"},
    )
    assert r.status_code == 404


async def test_geo_permissions(client: Any, runtime: Any, tenant: Tenant) -> None:
    from sqlalchemy import update

    from relaybox.accounts.models import Account

    async def limit(s: Any) -> None:
        await s.execute(
            update(Account).where(Account.id == tenant.account_id).values(geo_permissions=["GB"])
        )

    await runtime.db.write(limit)
    r = await client.post(
        send_url(tenant), headers=tenant.headers("deploy"), json={"to": "+15551230000", "body": "x"}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "region_not_permitted"
    r = await client.post(
        send_url(tenant),
        headers=tenant.headers("deploy"),
        json={"to": "+447700900000", "body": "x"},
    )
    assert r.status_code == 201


async def test_status_events_skip_the_initial_status(
    client: Any, tenant: Tenant, network: Network
) -> None:
    r = await client.post(
        send_url(tenant),
        headers=tenant.headers("deploy"),
        json={"to": "+15551230000", "body": "x", "callback_url": "http://127.0.0.1:9/hook"},
    )
    assert await network.events("sms.status") == []
    await network.run(seconds=2)
    events = await network.events("sms.status")
    assert [e.payload["status"] for e in events] == ["sent", "delivered"]
    assert all(e.url == "http://127.0.0.1:9/hook" for e in events)
    assert events[-1].payload["id"] == r.json()["id"]
