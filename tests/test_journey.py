"""What a new user does after `make run`, against a real server, worker and webhook receiver:
send with the test key, see it delivered on the simulator's handset, receive the signed status
webhooks and verify them with the standardwebhooks library, reply STOP, see the next send refused.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from tests.conftest import TABLES, _pg_admin, make_settings
from tests.live import LiveServer
from tests.support import make_tenant
from tests.webhooks.receiver import Receiver

pytestmark = pytest.mark.slow
HANDSET, SENDER = "+15551230000", "+15557890000"


@pytest.fixture
async def live(
    backend: str, tmp_path: Path, sqlite_template: Path, postgres_url: str | None
) -> AsyncIterator[LiveServer]:
    if backend == "sqlite":
        shutil.copyfile(sqlite_template, tmp_path / "db.sqlite")
        url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    else:
        if postgres_url is None:
            pytest.skip("PostgreSQL: set RELAYBOX_TEST_POSTGRES_URL to run (CI always does)")
        await asyncio.to_thread(
            _pg_admin, f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE", postgres_url
        )
        url = postgres_url
    server = LiveServer(make_settings(url, tmp_path, simulator_receipt_seconds=0.3))
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.stop)


async def eventually(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        await asyncio.sleep(0.05)


async def test_new_user_journey(live: LiveServer) -> None:
    tenant = await asyncio.to_thread(live.call, make_tenant(live.runtime.db, "New user"))
    receiver = Receiver()
    await receiver.start()
    try:
        async with httpx.AsyncClient(base_url=live.url, timeout=10) as api:
            admin, deploy = tenant.headers("admin"), tenant.headers("deploy")
            r = await api.put(
                f"/v1/projects/{tenant.project_id}/webhooks",
                headers=admin,
                json={
                    "status_url": receiver.url("/status"),
                    "inbound_url": receiver.url("/inbound"),
                },
            )
            assert r.status_code == 200, r.text
            secret = r.json()["secret"]
            assert secret.startswith("whsec_")

            r = await api.post(
                f"/v1/projects/{tenant.project_id}/sms/send",
                headers=deploy,
                json={"to": HANDSET, "from": SENDER, "body": "Hello from relaybox"},
            )
            assert r.status_code == 201, r.text
            message_id = r.json()["id"]

            statuses = await eventually(
                lambda: (
                    [json.loads(x.body)["status"] for x in receiver.on("/status")]
                    if len(receiver.on("/status")) >= 2
                    else None
                )
            )
            assert statuses == ["sent", "delivered"]
            hook = Webhook(secret)
            for received in receiver.on("/status"):
                payload = hook.verify(received.body, received.headers)
                assert payload["id"] == message_id
                assert received.headers["x-signature"].startswith("t=")

            handset = (
                await api.get(f"/v1/simulator/handsets/{HANDSET}/messages", headers=admin)
            ).json()["data"]
            assert [(m["body"], m["status"]) for m in handset] == [
                ("Hello from relaybox", "delivered")
            ]

            r = await api.post(
                f"/v1/simulator/handsets/{HANDSET}/messages",
                headers=deploy,
                json={"to": SENDER, "body": "STOP"},
            )
            assert r.status_code == 201 and r.json()["keyword"] == "opt_out"
            inbound = await eventually(lambda: receiver.on("/inbound"))
            assert hook.verify(inbound[0].body, inbound[0].headers)["text"] == "STOP"

            r = await api.post(
                f"/v1/projects/{tenant.project_id}/sms/send",
                headers=deploy,
                json={"to": HANDSET, "from": SENDER, "body": "Still there?"},
            )
            assert r.status_code == 422
            assert r.json()["error"]["code"] == "recipient_opted_out"
    finally:
        await receiver.stop()
