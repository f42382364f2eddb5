"""The same send on spec 001 (/api/v1/sms/send) and spec 003 (/v1/sms, /v1/requests/:id)."""

from __future__ import annotations

from typing import Any

from tests.messaging.conftest import Network
from tests.support import Tenant


async def test_spec001_send_and_delivery_report(
    client: Any, tenant: Tenant, network: Network
) -> None:
    r = await client.post(
        "/api/v1/sms/send",
        headers=tenant.headers("deploy"),
        json={"to": "+15551234567", "text": "Hi!", "callback_url": "http://127.0.0.1:9/dlr"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["message_id"].startswith("sms_") and body["status"] == "queued"
    assert isinstance(body["cost"], float)
    await network.run(seconds=2)
    reports = [e.payload for e in await network.events("sms.status")]
    assert reports[-1]["event"] == "delivery_report"
    assert reports[-1]["message_id"] == body["message_id"]
    assert reports[-1]["status"] == "delivered" and reports[-1]["delivered_at"]
    r = await client.post(
        "/api/v1/sms/send", headers=tenant.headers("deploy"), json={"to": "nope", "text": "x"}
    )
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_number"
    r = await client.post("/api/v1/sms/send", headers=tenant.headers("deploy"), json={"to": 5})
    assert r.status_code == 422 and "details" in r.json()["error"]


async def test_spec003_form_and_json_and_request_info(
    client: Any, tenant: Tenant, network: Network
) -> None:
    r = await client.post(
        "/v1/sms",
        headers=tenant.basic("deploy"),
        data={"number": "+18800000000", "text": "Your order #29211 received"},
    )
    assert r.status_code == 200, r.text
    request_id = r.json()["requestId"]
    r = await client.post(
        "/v1/sms/", headers=tenant.basic("deploy"), json={"number": "+91638651000", "text": "hello"}
    )
    assert r.status_code == 200, r.text
    info = (await client.get(f"/v1/requests/{request_id}", headers=tenant.basic())).json()
    assert info["number"] == "+18800000000" and info["status"] == "SENT"
    assert info["payload"]["number"] == "+18800000000" and info["payload"]["method"] == "sms"
    assert isinstance(info["createdAt"], int) and info["product"] == "sms"
    await network.run(seconds=2)
    info = (await client.get(f"/v1/requests/{request_id}", headers=tenant.basic())).json()
    assert info["status"] == "DELIVERED"
    r = await client.post(
        f"/v1/requests/{request_id}",
        headers=tenant.basic("deploy"),
        data={"goal": "NUMBER_VERIFIED"},
    )
    assert r.status_code == 200 and r.json()["goal"] == "NUMBER_VERIFIED"


async def test_spec003_errors_use_its_codes(client: Any, tenant: Tenant) -> None:
    r = await client.post("/v1/sms", data={"number": "+18800000000", "text": "x"})
    assert (r.status_code, r.json()["errorCode"]) == (401, 1)
    r = await client.post(
        "/v1/sms", headers=tenant.basic("deploy"), data={"number": "123", "text": "x"}
    )
    assert (r.status_code, r.json()["errorCode"]) == (400, 11)
    r = await client.post("/v1/sms", headers=tenant.basic("deploy"), data={"text": "x"})
    assert (r.status_code, r.json()["errorCode"]) == (400, 10)
    r = await client.get("/v1/requests/sms_unknown", headers=tenant.basic())
    assert r.status_code == 404 and r.json()["errorCode"] == 12


async def test_other_tenant_request_is_404(
    client: Any, tenant: Tenant, other_tenant: Tenant
) -> None:
    r = await client.post(
        "/v1/sms",
        headers=other_tenant.basic("deploy"),
        data={"number": "+18800000000", "text": "x"},
    )
    rid = r.json()["requestId"]
    assert (await client.get(f"/v1/requests/{rid}", headers=tenant.basic())).status_code == 404
