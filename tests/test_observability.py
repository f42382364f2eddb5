"""Logs redact secrets; /metrics is Prometheus text for operators; public status and ping."""

from __future__ import annotations

import json
import logging
from typing import Any

from relaybox.logs import JsonFormatter, redact, request_id_var
from relaybox.runtime import Runtime
from tests.support import Tenant, operator_token


def test_redaction() -> None:
    line = (
        "key sk_live_AbCdEf0123456789 Authorization: Bearer sk_test_xyz987 "
        '{"password": "hunter2", "sip_password":"p4ss"}'
    )
    out = redact(line)
    for secret in ("AbCdEf0123456789", "xyz987", "hunter2", "p4ss"):
        assert secret not in out
    assert "sk_live_[redacted]" in out


def test_json_log_lines_carry_request_id() -> None:
    record = logging.makeLogRecord(
        {"msg": "sent with sk_test_SECRET1", "levelname": "INFO", "name": "relaybox.test"}
    )
    token = request_id_var.set("req_1")
    try:
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert entry["request_id"] == "req_1"
    assert "SECRET1" not in entry["msg"]


async def test_metrics_for_operators_only(client: Any, runtime: Runtime, tenant: Tenant) -> None:
    await client.get("/v1/account", headers=tenant.headers())
    assert (await client.get("/metrics", headers=tenant.headers())).status_code == 403
    op = {"Authorization": f"Bearer {await operator_token(runtime.db)}"}
    r = await client.get("/metrics", headers=op)
    assert r.status_code == 200
    assert 'relaybox_http_requests_total{method="GET",route="/v1/account",status="200"}' in r.text
    assert "relaybox_jobs{" in r.text


async def test_public_ping_and_status(client: Any, runtime: Any) -> None:
    r = await client.get("/api/v1/ping")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    r = await client.get("/api/v1/status")
    body = r.json()
    assert body["status"] == "operational" and body["notice"] is None
    assert {c["name"] for c in body["components"]} >= {"api", "database", "jobs"}
    await runtime.carriers.start(runtime.carrier_events)  # as a process with a worker has
    try:
        components = (await client.get("/api/v1/status")).json()["components"]
    finally:
        await runtime.carriers.stop()
    assert {"name": "carrier:simulator", "status": "operational"} in [
        {"name": c["name"], "status": c["status"]} for c in components
    ]
