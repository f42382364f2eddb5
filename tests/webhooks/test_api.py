"""The webhook configuration API: native project endpoints, the account secret, events and the
delivery log, and spec 004's webhook subscriptions."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from standardwebhooks import Webhook

from relaybox import ids
from relaybox.clock import FrozenClock
from relaybox.runtime import Runtime
from tests.support import Tenant
from tests.webhooks.conftest import configure, drain, fire, rows
from tests.webhooks.receiver import Receiver, Reply


def hooks(t: Tenant) -> str:
    return f"/v1/projects/{t.project_id}/webhooks"


def subs(t: Tenant, account: str | None = None, sub: str | None = None) -> str:
    org = account or ids.as_uuid(t.account_id)
    ws = sub or ids.as_uuid(t.sub_account_id)
    return f"/organizations/{org}/workspaces/{ws}/webhook-subscriptions"


async def test_project_webhooks_get_put_and_secret_visibility(
    client: Any, tenant: Tenant, frozen: FrozenClock
) -> None:
    r = await client.get(hooks(tenant), headers=tenant.headers("read"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["project_id"] == tenant.project_id
    assert body["status_url"] is None and body["inbound_url"] is None
    assert body["secret"] is None  # read keys never see the secret
    admin = (await client.get(hooks(tenant), headers=tenant.headers("admin"))).json()
    assert admin["secret"].startswith("whsec_")
    Webhook(admin["secret"])  # a secret the library accepts as is

    saved = await configure(
        client,
        tenant,
        status_url="https://hooks.example.com/status",
        inbound_url="https://hooks.example.com/inbound",
    )
    assert saved["status_url"] == "https://hooks.example.com/status"
    assert saved["secret"] == admin["secret"]  # saving URLs keeps the secret
    cleared = await configure(client, tenant, status_url="https://hooks.example.com/status")
    assert cleared["inbound_url"] is None  # PUT replaces both


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status_url": "ftp://example.com/x"}, "status_url"),
        ({"status_url": "https://u:p@example.com/x"}, "status_url"),
        ({"inbound_url": "http://10.0.0.1/x"}, "inbound_url"),
        ({"inbound_url": "http://169.254.169.254/latest/meta-data"}, "inbound_url"),
        ({"status_url": "x" * 2001}, "status_url"),
    ],
)
async def test_bad_urls_are_refused_at_configuration(
    body: dict[str, str], field: str, client: Any, tenant: Tenant
) -> None:
    r = await client.put(hooks(tenant), json=body, headers=tenant.headers("admin"))
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "validation_failed"
    assert [d["field"] for d in error["details"]] == [field]


async def test_loopback_refused_at_configuration_when_off(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    url = "http://localhost:9000/hook"
    assert (
        await client.put(hooks(tenant), json={"status_url": url}, headers=tenant.headers("admin"))
    ).status_code == 200
    runtime.settings.webhook_allow_loopback = False
    r = await client.put(hooks(tenant), json={"status_url": url}, headers=tenant.headers("admin"))
    assert r.status_code == 422 and "loopback" in r.json()["error"]["message"]


async def test_account_secret_and_rotation(client: Any, tenant: Tenant) -> None:
    first = (await client.get("/v1/webhooks", headers=tenant.headers("admin"))).json()
    assert first["secret"].startswith("whsec_") and first["previous_secret_expires_at"] is None
    r = await client.post(
        "/v1/webhooks/rotate-secret", json={"overlap_seconds": 0}, headers=tenant.headers("admin")
    )
    assert r.status_code == 200
    assert r.json()["secret"] != first["secret"] and r.json()["previous_secret_expires_at"] is None
    r = await client.post(
        f"{hooks(tenant)}/rotate-secret",
        json={"overlap_seconds": 10**8},
        headers=tenant.headers("admin"),
    )
    assert r.status_code == 422


async def test_events_and_delivery_log_pages(
    client: Any,
    runtime: Runtime,
    tenant: Tenant,
    other_tenant: Tenant,
    receiver: Receiver,
    frozen: FrozenClock,
) -> None:
    await configure(client, tenant, status_url=receiver.url(), inbound_url=receiver.url("/in"))
    first = await fire(runtime, tenant, "sms.status", {"status": "delivered"})
    second = await fire(runtime, tenant, "sms.inbound", {"text": "hi"})
    await fire(runtime, other_tenant, "sms.status")
    receiver.answer_on("/hook", Reply(500))
    await drain(runtime)
    frozen.advance(10)
    await drain(runtime)

    r = await client.get("/v1/events", headers=tenant.headers("read"))
    assert [e["id"] for e in r.json()["data"]] == [second, first]
    r = await client.get("/v1/events?type=sms.inbound", headers=tenant.headers("read"))
    assert [e["id"] for e in r.json()["data"]] == [second]
    assert r.json()["data"][0]["payload"] == {"text": "hi"}
    r = await client.get(f"/v1/events/{first}", headers=tenant.headers("read"))
    assert r.json()["type"] == "sms.status"

    log = await client.get(f"{hooks(tenant)}/deliveries", headers=tenant.headers("read"))
    assert log.status_code == 200
    assert len(log.json()["data"]) == 3  # first: 500 then 200; second: 200
    page1 = await client.get(f"{hooks(tenant)}/deliveries?limit=2", headers=tenant.headers("read"))
    token = page1.json()["next_page_token"]
    page2 = await client.get(
        f"{hooks(tenant)}/deliveries?limit=2&page_token={token}", headers=tenant.headers("read")
    )
    assert [d["id"] for d in page1.json()["data"] + page2.json()["data"]] == [
        d["id"] for d in log.json()["data"]
    ]
    only = await client.get(
        f"{hooks(tenant)}/deliveries?event_id={first}", headers=tenant.headers("read")
    )
    assert [(d["attempt"], d["outcome"]) for d in only.json()["data"]] == [
        (2, "succeeded"),
        (1, "retrying"),
    ]
    per_event = await client.get(f"/v1/events/{first}/deliveries", headers=tenant.headers("read"))
    assert per_event.json()["data"] == only.json()["data"]
    assert {"status_code", "latency_ms", "response_body", "error", "url", "created_at"} <= set(
        only.json()["data"][0]
    )


# -- spec 004 -----------------------------------------------------------------------------------


async def test_bird_subscription_crud(
    client: Any, tenant: Tenant, other_tenant: Tenant, frozen: FrozenClock
) -> None:
    body = {
        "service": "channels",
        "event": "sms.outbound",
        "eventFilters": [{"key": "channelId", "value": "58c44c1d"}],
        "template": "text",
        "url": "https://example.com/webhook",
        "signingKey": "KeV+/HGoIQrxuE5YPCRR6AuQOJveldYNNhbVi1i22qk=",
    }
    r = await client.post(subs(tenant), json=body, headers=tenant.access_key("admin"))
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) == {
        "id",
        "organizationId",
        "workspaceId",
        "service",
        "event",
        "eventFilters",
        "template",
        "url",
        "signingKey",
        "status",
        "createdAt",
        "updatedAt",
    }
    uuid.UUID(created["id"])
    assert created["organizationId"] == ids.as_uuid(tenant.account_id)
    assert created["workspaceId"] == ids.as_uuid(tenant.sub_account_id)
    assert created["status"] == "active" and created["signingKey"] == body["signingKey"]
    assert created["createdAt"].endswith("Z") and len(created["createdAt"]) == 24

    generated = await client.post(
        subs(tenant),
        json={"event": "sms.inbound", "url": "https://example.com/in"},
        headers=tenant.access_key("admin"),
    )
    assert generated.json()["signingKey"].startswith("whsec_")
    assert generated.json()["service"] == "channels"

    listed = await client.get(subs(tenant) + "?limit=1", headers=tenant.access_key("read"))
    assert [s["id"] for s in listed.json()["results"]] == [generated.json()["id"]]
    more = await client.get(
        subs(tenant) + f"?limit=1&pageToken={listed.json()['nextPageToken']}",
        headers=tenant.access_key("read"),
    )
    assert [s["id"] for s in more.json()["results"]] == [created["id"]]

    # accepted as UUID or prefixed id, in the ids of both the path and the subscription
    prefixed = subs(tenant, tenant.account_id, tenant.sub_account_id)
    for path in (
        f"{subs(tenant)}/{created['id']}",
        f"{prefixed}/whs_{uuid.UUID(created['id']).hex}",
    ):
        got = await client.get(path, headers=tenant.access_key("read"))
        assert got.status_code == 200 and got.json() == created

    patched = await client.patch(
        f"{subs(tenant)}/{created['id']}",
        json={"status": "disabled", "eventFilters": []},
        headers=tenant.access_key("admin"),
    )
    assert patched.status_code == 200
    assert patched.json()["status"] == "disabled" and patched.json()["eventFilters"] == []

    # the other tenant sees none of it, even with its own key
    for path in (
        subs(tenant),
        f"{subs(tenant)}/{created['id']}",
        f"{subs(other_tenant)}/{created['id']}",
    ):
        r = await client.get(path, headers=other_tenant.access_key("admin"))
        assert r.status_code == 404 and r.json()["code"] == "NotFound"

    assert (
        await client.delete(f"{subs(tenant)}/{created['id']}", headers=tenant.access_key("admin"))
    ).status_code == 204
    assert (
        await client.get(f"{subs(tenant)}/{created['id']}", headers=tenant.access_key("read"))
    ).status_code == 404


async def test_bird_validation_uses_bird_envelope(client: Any, tenant: Tenant) -> None:
    r = await client.post(
        subs(tenant),
        json={"event": "sms.outbound", "url": "http://10.0.0.1/"},
        headers=tenant.access_key("admin"),
    )
    assert r.status_code == 422
    assert r.json()["code"] == "InvalidPayload" and "url" in r.json()["details"]
    r = await client.post(
        subs(tenant),
        json={
            "event": "sms.outbound",
            "url": "https://example.com/",
            "signingKey": "whsec_!!!!!!!!",
        },
        headers=tenant.access_key("admin"),
    )
    assert r.status_code == 422 and "signingKey" in r.json()["details"]
    r = await client.post(
        subs(tenant, "not-a-uuid"),
        json={"event": "x", "url": "https://e.com"},
        headers=tenant.access_key("admin"),
    )
    assert r.status_code == 404


async def test_bird_subscriptions_receive_matching_events(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    async def subscribe(event: str, path: str, filters: list[dict[str, str]]) -> dict[str, Any]:
        r = await client.post(
            subs(tenant),
            json={
                "service": "channels",
                "event": event,
                "eventFilters": filters,
                "url": receiver.url(path),
                "signingKey": "my-signing-key",
            },
            headers=tenant.access_key("admin"),
        )
        assert r.status_code == 201, r.text
        body: dict[str, Any] = r.json()
        return body

    outbound = await subscribe("sms.outbound", "/out", [{"key": "channelId", "value": "ch1"}])
    await subscribe("sms.inbound", "/in", [])
    await subscribe("number.*", "/numbers", [])
    await configure(client, tenant, status_url=receiver.url("/project"))

    ours = await fire(runtime, tenant, "sms.status", {"channelId": "ch1", "status": "delivered"})
    await fire(runtime, tenant, "sms.status", {"channelId": "ch2", "status": "delivered"})
    no_key = await fire(runtime, tenant, "sms.status", {"status": "sent"})
    inbound = await fire(runtime, tenant, "sms.inbound", {"text": "hi"})
    port = await fire(runtime, tenant, "number.port_order", {"status": "ported"})
    await drain(runtime)

    assert sorted(r.headers["webhook-id"] for r in receiver.on("/out")) == sorted([ours, no_key])
    assert [r.headers["webhook-id"] for r in receiver.on("/in")] == [inbound]
    assert [r.headers["webhook-id"] for r in receiver.on("/numbers")] == [port]
    assert len(receiver.on("/project")) == 4  # the project endpoint gets its events as well
    for got in receiver.on("/out"):
        Webhook(b"my-signing-key").verify(got.body, got.headers)

    # 410 disables the subscription; PATCH status=active re-enables it
    receiver.answer_on("/in", Reply(410))
    gone = await fire(runtime, tenant, "sms.inbound", {"text": "again"})
    await drain(runtime)
    [row] = [r for r in await rows(runtime, gone) if r.target == "subscription"]
    assert row.status_code == 410
    sub_id = (await client.get(subs(tenant), headers=tenant.access_key("read"))).json()
    inbound_sub = next(s for s in sub_id["results"] if s["event"] == "sms.inbound")
    assert inbound_sub["status"] == "disabled"
    await fire(runtime, tenant, "sms.inbound", {"text": "lost"})
    await drain(runtime)
    assert len(receiver.on("/in")) == 2
    r = await client.patch(
        f"{subs(tenant)}/{inbound_sub['id']}",
        json={"status": "active"},
        headers=tenant.access_key("admin"),
    )
    assert r.json()["status"] == "active"
    await fire(runtime, tenant, "sms.inbound", {"text": "back"})
    await drain(runtime)
    assert len(receiver.on("/in")) == 3
    assert outbound["status"] == "active"
