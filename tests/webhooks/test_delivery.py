"""End to end: events are delivered signed to a real receiver on loopback, retried, logged."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import json
import socket
from datetime import timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from relaybox import __version__, clock
from relaybox.clock import FrozenClock
from relaybox.jobs.models import DEAD, DONE
from relaybox.runtime import Runtime
from relaybox.webhooks import targets
from tests.support import Tenant
from tests.webhooks.conftest import configure, drain, fire, jobs, rows
from tests.webhooks.receiver import Received, Receiver, Reply
from tests.webhooks.tls import client_context, make_certificate, server_context


def x_signature_valid(received: Received, secret: str) -> bool:
    parts = [p.split("=", 1) for p in received.headers["x-signature"].split(",")]
    stamp = next(v for k, v in parts if k == "t")
    message = f"{stamp}.".encode() + received.body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts)


def verify(received: Received, secret: str) -> Any:
    return Webhook(secret).verify(received.body, received.headers)


async def test_status_event_is_delivered_signed_and_logged(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    config = await configure(
        client, tenant, status_url=receiver.url("/status"), inbound_url=receiver.url("/inbound")
    )
    payload = {
        "event": "delivery_report",
        "message_id": "msg_123",
        "status": "delivered",
        "delivered_at": "2026-01-12T20:15:00Z",
        "cost": 0.006,
    }
    event_id = await fire(runtime, tenant, "sms.status", payload)
    await drain(runtime)

    [got] = receiver.requests
    assert got.method == "POST" and got.path == "/status"
    assert json.loads(got.body) == payload
    assert got.headers["content-type"] == "application/json"
    assert got.headers["user-agent"] == f"relaybox-webhooks/{__version__}"
    assert got.headers["webhook-id"] == event_id
    assert got.headers["webhook-timestamp"] == str(int(clock.now().timestamp()))
    assert got.headers["host"] == f"127.0.0.1:{receiver.port}"
    assert verify(got, config["secret"]) == payload
    assert x_signature_valid(got, config["secret"])
    assert got.headers["x-signature"].startswith(f"t={got.headers['webhook-timestamp']},v1=")

    [row] = await rows(runtime, event_id)
    assert (row.outcome, row.status_code, row.attempt, row.target) == (
        "succeeded",
        200,
        1,
        "status",
    )
    assert row.url == receiver.url("/status") and row.response_body == "ok"
    assert row.latency_ms is not None and row.latency_ms >= 0
    assert [j.state for j in await jobs(runtime)] == [DONE]


async def test_routing_by_type_and_per_message_callbacks(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    config = await configure(
        client, tenant, status_url=receiver.url("/status"), inbound_url=receiver.url("/inbound")
    )
    inbound = await fire(runtime, tenant, "sms.inbound", {"from": "447700900001", "text": "Hi"})
    port = await fire(runtime, tenant, "number.port_order", {"status": "submitted"})
    callback = await fire(
        runtime, tenant, "sms.status", {"status": "delivered"}, url=receiver.url("/callback")
    )
    await drain(runtime)
    assert [r.headers["webhook-id"] for r in receiver.on("/inbound")] == [inbound]
    assert [r.headers["webhook-id"] for r in receiver.on("/status")] == [port]
    # a per-message callback goes only to its URL, signed with the project's secret
    [cb] = receiver.on("/callback")
    assert cb.headers["webhook-id"] == callback
    verify(cb, config["secret"])


async def test_callback_without_project_uses_the_account_default_secret(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    await fire(
        runtime,
        tenant,
        "sms.status",
        {"status": "delivered"},
        url=receiver.url("/cb"),
        project=False,
    )
    await drain(runtime)
    [got] = receiver.requests
    r = await client.get("/v1/webhooks", headers=tenant.headers("admin"))
    secret = r.json()["secret"]
    assert secret.startswith("whsec_")
    verify(got, secret)
    project = await client.get(
        f"/v1/projects/{tenant.project_id}/webhooks", headers=tenant.headers("admin")
    )
    with pytest.raises(WebhookVerificationError):
        verify(got, project.json()["secret"])


async def test_no_endpoint_no_delivery(
    runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    await fire(runtime, tenant, "sms.status")
    await drain(runtime)
    assert await rows(runtime) == [] and await jobs(runtime) == []


async def test_5xx_is_retried_on_schedule_with_the_same_webhook_id(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    config = await configure(client, tenant, status_url=receiver.url())
    receiver.answer(Reply(500, body=b"boom"), Reply(503))
    event_id = await fire(runtime, tenant)
    await drain(runtime)
    assert len(receiver.requests) == 1
    verify(receiver.requests[-1], config["secret"])
    frozen.advance(3)  # first retry after 5 s (+-20 %): not yet
    await drain(runtime)
    assert len(receiver.requests) == 1
    frozen.advance(4)
    await drain(runtime)
    assert len(receiver.requests) == 2
    verify(receiver.requests[-1], config["secret"])
    frozen.advance(360)  # second retry after 5 min (+-20 %)
    await drain(runtime)
    assert len(receiver.requests) == 3
    verify(receiver.requests[-1], config["secret"])
    assert {r.headers["webhook-id"] for r in receiver.requests} == {event_id}
    assert len({r.headers["webhook-timestamp"] for r in receiver.requests}) == 3

    log = await rows(runtime, event_id)
    assert [(r.attempt, r.outcome, r.status_code) for r in log] == [
        (1, "retrying", 500),
        (2, "retrying", 503),
        (3, "succeeded", 200),
    ]
    assert log[0].response_body == "boom" and log[0].next_attempt_at is not None
    assert 4 <= (log[0].next_attempt_at - log[0].created_at).total_seconds() <= 6


async def test_429_retry_after_seconds_and_http_date_are_honoured(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    await configure(client, tenant, status_url=receiver.url())
    later = format_datetime(clock.now() + timedelta(seconds=900), usegmt=True)
    receiver.answer(Reply(429, {"Retry-After": "120"}), Reply(429, {"Retry-After": later}))
    await fire(runtime, tenant)
    await drain(runtime)
    frozen.advance(60)
    await drain(runtime)
    assert len(receiver.requests) == 1  # not before Retry-After
    frozen.advance(61)
    await drain(runtime)
    assert len(receiver.requests) == 2
    frozen.advance(700)
    await drain(runtime)
    assert len(receiver.requests) == 2  # the date is 900 s after the first attempt
    frozen.advance(200)
    await drain(runtime)
    assert len(receiver.requests) == 3


async def test_gives_up_after_24_hours(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    await configure(client, tenant, status_url=receiver.url())
    receiver.default = Reply(500)
    started = clock.now()
    event_id = await fire(runtime, tenant)
    await drain(runtime)
    for _ in range(40):
        frozen.advance(3600)
        await drain(runtime)
    log = await rows(runtime, event_id)
    assert 7 <= len(log) <= 10
    assert len(receiver.requests) == len(log)
    assert [r.attempt for r in log] == list(range(1, len(log) + 1))
    assert {r.outcome for r in log[:-1]} == {"retrying"}
    assert log[-1].outcome == "gave_up" and "24 h" in (log[-1].error or "")
    assert log[-1].created_at - started <= timedelta(hours=24, minutes=1)
    assert log[-1].created_at - started >= timedelta(hours=23)
    [job] = await jobs(runtime)
    assert job.state == DEAD


async def test_410_disables_the_endpoint_until_saved_again(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    await configure(client, tenant, status_url=receiver.url())
    receiver.answer(Reply(410))
    gone = await fire(runtime, tenant)
    await drain(runtime)
    [row] = await rows(runtime, gone)
    assert (row.outcome, row.status_code) == ("failed", 410) and "disabled" in (row.error or "")
    shown = (
        await client.get(
            f"/v1/projects/{tenant.project_id}/webhooks", headers=tenant.headers("read")
        )
    ).json()
    assert shown["status_url_disabled_at"] is not None

    await fire(runtime, tenant)
    frozen.advance(3600)
    await drain(runtime)
    assert len(receiver.requests) == 1  # nothing more goes to a disabled endpoint

    config = await configure(client, tenant, status_url=receiver.url())  # re-enable
    assert config["status_url_disabled_at"] is None
    await fire(runtime, tenant)
    await drain(runtime)
    assert len(receiver.requests) == 2


@pytest.mark.parametrize("status", [302, 400, 404])
async def test_redirects_and_4xx_fail_without_retry(
    status: int,
    client: Any,
    runtime: Runtime,
    tenant: Tenant,
    receiver: Receiver,
    frozen: FrozenClock,
) -> None:
    await configure(client, tenant, status_url=receiver.url("/old"))
    receiver.default = Reply(status, {"Location": receiver.url("/new")})
    event_id = await fire(runtime, tenant)
    await drain(runtime)
    frozen.advance(86400)
    await drain(runtime)
    assert [r.path for r in receiver.requests] == ["/old"]  # the redirect is not followed
    [row] = await rows(runtime, event_id)
    assert (row.outcome, row.status_code) == ("failed", status)
    if status == 302:
        assert "redirects are not followed" in (row.error or "")
    [job] = await jobs(runtime)
    assert job.state == DEAD


async def test_timeouts_and_connection_errors_are_retried(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    await configure(client, tenant, status_url=receiver.url())
    receiver.answer(Reply(200, delay=1.5))  # slower than the 0.5 s timeout
    event_id = await fire(runtime, tenant)
    await drain(runtime)
    await receiver.stop()  # nobody listens any more: connection refused
    frozen.advance(7)
    await drain(runtime)
    log = await rows(runtime, event_id)
    assert [r.outcome for r in log] == ["retrying", "retrying"]
    assert "timed out" in (log[0].error or "") and log[0].status_code is None
    assert "connection" in (log[1].error or "")


async def test_private_and_loopback_targets_are_refused(
    runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    loop = asyncio.get_running_loop()
    real_getaddrinfo = loop.getaddrinfo

    async def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "loop.example":  # a public-looking name that resolves to loopback
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]
        return await real_getaddrinfo(host, *args, **kwargs)

    loop.getaddrinfo = getaddrinfo  # type: ignore[method-assign]
    private = await fire(runtime, tenant, url="http://10.0.0.1/hook")
    runtime.settings.webhook_allow_loopback = False
    named = await fire(runtime, tenant, url=receiver.url(host="loop.example"))
    localhost = await fire(runtime, tenant, url=receiver.url(host="localhost"))
    literal = await fire(runtime, tenant, url=receiver.url())
    await drain(runtime)
    frozen.advance(86400)
    await drain(runtime)
    assert receiver.requests == []
    del loop.getaddrinfo
    for event_id, reason in (
        (private, "private"),
        (named, "loop.example resolves to 127.0.0.1"),
        (localhost, "loopback name"),
        (literal, "loopback"),
    ):
        [row] = await rows(runtime, event_id)
        assert row.outcome == "failed" and row.status_code is None
        assert (row.error or "").startswith("refused:") and reason in (row.error or "")
    assert {j.state for j in await jobs(runtime)} == {DEAD}


async def test_secret_rotation_overlap(
    client: Any, runtime: Runtime, tenant: Tenant, receiver: Receiver, frozen: FrozenClock
) -> None:
    old = (await configure(client, tenant, status_url=receiver.url()))["secret"]
    r = await client.post(
        f"/v1/projects/{tenant.project_id}/webhooks/rotate-secret",
        json={"overlap_seconds": 3600},
        headers=tenant.headers("admin"),
    )
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new != old and r.json()["previous_secret_expires_at"] is not None
    await fire(runtime, tenant)
    await drain(runtime)
    during = receiver.requests[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert during.headers["x-signature"].count("v1=") == 2
    for secret in (old, new):
        verify(during, secret)
        assert x_signature_valid(during, secret)

    frozen.advance(3601)
    await fire(runtime, tenant)
    await drain(runtime)
    after = receiver.requests[-1]
    verify(after, new)
    assert x_signature_valid(after, new)
    assert after.headers["x-signature"].count("v1=") == 1
    with pytest.raises(WebhookVerificationError):
        verify(after, old)
    assert not x_signature_valid(after, old)
    shown = (
        await client.get(
            f"/v1/projects/{tenant.project_id}/webhooks", headers=tenant.headers("admin")
        )
    ).json()
    assert shown["secret"] == new and shown["previous_secret_expires_at"] is None


async def test_redeliver_keeps_the_webhook_id(
    client: Any,
    runtime: Runtime,
    tenant: Tenant,
    other_tenant: Tenant,
    receiver: Receiver,
    frozen: FrozenClock,
) -> None:
    config = await configure(client, tenant, status_url=receiver.url())
    event_id = await fire(runtime, tenant)
    await drain(runtime)
    frozen.advance(60)
    r = await client.post(f"/v1/events/{event_id}/redeliver", headers=tenant.headers("admin"))
    assert r.status_code == 202, r.text
    assert r.json() == {
        "event_id": event_id,
        "scheduled": [{"target": "status", "url": receiver.url(), "subscription_id": None}],
    }
    await drain(runtime)
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event_id
    assert first.headers["webhook-timestamp"] != second.headers["webhook-timestamp"]
    verify(second, config["secret"])
    log = await rows(runtime, event_id)
    assert [(r.attempt, r.redelivery, r.outcome) for r in log] == [
        (1, False, "succeeded"),
        (1, True, "succeeded"),
    ]

    # another tenant's event is not found
    for method, path in (
        ("POST", f"/v1/events/{event_id}/redeliver"),
        ("GET", f"/v1/events/{event_id}"),
        ("GET", f"/v1/events/{event_id}/deliveries"),
    ):
        r = await client.request(method, path, headers=other_tenant.headers("admin"))
        assert r.status_code == 404, (method, path, r.text)
    r = await client.get(
        f"/v1/projects/{tenant.project_id}/webhooks/deliveries",
        headers=other_tenant.headers("admin"),
    )
    assert r.status_code == 404


async def test_redeliver_without_a_target_is_a_conflict(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    event_id = await fire(runtime, tenant)
    r = await client.post(f"/v1/events/{event_id}/redeliver", headers=tenant.headers("admin"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"


async def test_the_checked_address_is_the_one_connected_to(
    client: Any,
    runtime: Runtime,
    tenant: Tenant,
    receiver: Receiver,
    frozen: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A name nobody can resolve reaches the receiver: the request went to an address the
    check returned (no second DNS lookup to rebind), with the original Host header; when the
    first address refuses the connection, the next one is tried."""
    checked: list[str] = []
    real_resolve = targets.resolve

    async def fake_resolve(target: targets.Target, settings: Any) -> Any:
        checked.append(target.host)
        if target.host == "rebind.invalid":
            return [ipaddress.ip_address("::1"), ipaddress.ip_address("127.0.0.1")]
        return await real_resolve(target, settings)

    monkeypatch.setattr(targets, "resolve", fake_resolve)
    await fire(runtime, tenant, url=receiver.url("/pinned", host="rebind.invalid"))
    await fire(runtime, tenant, url=receiver.url("/named", host="localhost"))
    await drain(runtime)
    assert sorted(checked) == ["localhost", "rebind.invalid"]
    assert receiver.on("/pinned")[0].headers["host"] == f"rebind.invalid:{receiver.port}"
    assert receiver.on("/named")[0].headers["host"] == f"localhost:{receiver.port}"
    assert {r.outcome for r in await rows(runtime)} == {"succeeded"}


async def test_https_sends_the_name_as_sni_and_verifies_the_certificate_for_it(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock, tmp_path: Path
) -> None:
    cert, key = make_certificate(tmp_path)
    receiver = Receiver(tls=server_context(cert, key))
    await receiver.start()
    runtime.webhook_tls = client_context(cert)
    try:
        config = await configure(client, tenant, status_url=receiver.url(host="localhost"))
        ok = await fire(runtime, tenant)
        # the certificate names localhost, not 127.0.0.1: verification must fail
        wrong = await fire(runtime, tenant, url=receiver.url("/ip", host="127.0.0.1"))
        await drain(runtime)
    finally:
        await receiver.stop()
    [got] = receiver.requests
    assert got.headers["host"] == f"localhost:{receiver.port}"
    verify(got, config["secret"])
    assert "localhost" in receiver.sni
    [row] = await rows(runtime, ok)
    assert row.outcome == "succeeded"
    [row] = await rows(runtime, wrong)
    assert row.outcome == "retrying" and "CERTIFICATE_VERIFY_FAILED" in (row.error or "")
