"""Webhook test fixtures: a real receiver on loopback, short timeouts, helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any

import pytest
import standardwebhooks.webhooks
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.jobs.models import Job
from relaybox.jobs.runner import Runner
from relaybox.runtime import Runtime
from relaybox.settings import Settings
from relaybox.webhooks.events import emit
from relaybox.webhooks.models import Event, WebhookDelivery
from tests.conftest import make_settings
from tests.support import Tenant
from tests.webhooks.receiver import Receiver


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path, webhook_timeout_seconds=0.5)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    server = Receiver()
    await server.start()
    yield server
    await server.stop()


class _ClockedDatetime(datetime):
    """standardwebhooks checks timestamps against now: make its now the test clock's."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        return clock.now()


@pytest.fixture(autouse=True)
def clocked_standardwebhooks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(standardwebhooks.webhooks, "datetime", _ClockedDatetime)


async def drain(rt: Runtime) -> int:
    return await Runner(rt).drain()


async def fire(
    rt: Runtime,
    t: Tenant,
    type: str = "sms.status",
    payload: dict[str, Any] | None = None,
    *,
    url: str | None = None,
    project: bool = True,
) -> str:
    """Emit an event for the tenant's project (or for the account only); returns its id."""

    async def work(s: AsyncSession) -> str:
        event = await emit(
            s,
            account_id=t.account_id,
            sub_account_id=t.sub_account_id if project else None,
            project_id=t.project_id if project else None,
            type=type,
            payload=payload
            if payload is not None
            else {"event": "delivery_report", "message_id": "msg_1", "status": "delivered"},
            url=url,
        )
        return event.id

    return await rt.db.write(work)


async def rows(rt: Runtime, event_id: str | None = None) -> list[WebhookDelivery]:
    async with rt.db.read() as s:
        stmt = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if event_id is not None:
            stmt = stmt.where(WebhookDelivery.event_id == event_id)
        return list((await s.execute(stmt)).scalars().all())


async def jobs(rt: Runtime, kind: str = "webhooks.deliver") -> list[Job]:
    async with rt.db.read() as s:
        return list(
            (await s.execute(select(Job).where(Job.kind == kind).order_by(Job.id))).scalars().all()
        )


async def events(rt: Runtime) -> list[Event]:
    async with rt.db.read() as s:
        return list((await s.execute(select(Event).order_by(Event.id))).scalars().all())


async def configure(client: Any, t: Tenant, **urls: str | None) -> dict[str, Any]:
    r = await client.put(
        f"/v1/projects/{t.project_id}/webhooks", json=urls, headers=t.headers("admin")
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body
