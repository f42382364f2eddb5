"""Idempotency-Key: replay, mismatch, in flight, validation failures not stored."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.accounts.models import SubAccount
from relaybox.clock import FrozenClock
from relaybox.http.idempotency import IN_FLIGHT, IdempotencyRecord
from relaybox.runtime import Runtime
from tests.support import Tenant


async def count_subs(rt: Runtime) -> int:
    async with rt.db.read() as s:
        return int((await s.execute(select(func.count()).select_from(SubAccount))).scalar_one())


async def test_replay_returns_the_first_response(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "create-eu"}
    before = await count_subs(runtime)
    first = await client.post("/v1/sub-accounts", json={"name": "EU"}, headers=headers)
    second = await client.post("/v1/sub-accounts", json={"name": "EU"}, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert await count_subs(runtime) == before + 1


async def test_same_key_different_body_is_422(client: Any, tenant: Tenant) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "k1"}
    await client.post("/v1/sub-accounts", json={"name": "EU"}, headers=headers)
    r = await client.post("/v1/sub-accounts", json={"name": "US"}, headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "idempotency_key_reused"


async def test_in_flight_is_409_until_its_lock_lapses(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "busy"}
    first = await client.post("/v1/sub-accounts", json={"name": "EU"}, headers=headers)
    assert first.status_code == 201

    async def make_in_flight(s: AsyncSession) -> None:  # as if the first were still running
        record = (await s.execute(select(IdempotencyRecord))).scalar_one()
        record.state, record.status_code, record.response_body = IN_FLIGHT, None, None
        record.locked_until = clock.now() + timedelta(seconds=300)

    await runtime.db.write(make_in_flight)
    r = await client.post("/v1/sub-accounts", json={"name": "EU"}, headers=headers)
    assert r.status_code == 409 and r.json()["error"]["code"] == "idempotency_key_in_use"
    frozen.advance(301)  # the first request's process died: the key can be used again
    r = await client.post("/v1/sub-accounts", json={"name": "EU"}, headers=headers)
    assert r.status_code == 201


async def test_validation_failures_are_not_stored(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    headers = {**tenant.headers(), "Idempotency-Key": "retry-me"}
    bad = await client.post("/v1/sub-accounts", json={"name": ""}, headers=headers)
    assert bad.status_code == 422
    good = await client.post("/v1/sub-accounts", json={"name": ""}, headers=headers)
    assert good.status_code == 422  # same request, recomputed, not replayed
    assert "idempotent-replayed" not in good.headers
    async with runtime.db.read() as s:
        assert (
            await s.execute(select(func.count()).select_from(IdempotencyRecord))
        ).scalar_one() == 0


async def test_keys_are_per_api_key_and_expire(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    a = {**tenant.headers("admin", "test"), "Idempotency-Key": "shared"}
    b = {**tenant.headers("admin", "live"), "Idempotency-Key": "shared"}
    r1 = await client.post("/v1/sub-accounts", json={"name": "A"}, headers=a)
    r2 = await client.post("/v1/sub-accounts", json={"name": "B"}, headers=b)
    assert r1.json()["id"] != r2.json()["id"]
    frozen.advance(runtime.settings.idempotency_ttl_seconds + 1)
    r3 = await client.post("/v1/sub-accounts", json={"name": "C"}, headers=a)
    assert r3.status_code == 201 and "idempotent-replayed" not in r3.headers


async def test_a_crash_after_the_effect_replays_instead_of_repeating(
    client: Any, runtime: Runtime, tenant: Tenant, monkeypatch: Any
) -> None:
    """The result is recorded with the effect: if the process dies before it stores the final
    response, a retry replays the result instead of creating a second resource."""
    import relaybox.http.idempotency as idem

    async def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("process died")

    headers = {**tenant.headers(), "Idempotency-Key": "crash-once"}
    before = await count_subs(runtime)
    monkeypatch.setattr(idem, "store_response", crash)
    with contextlib.suppress(RuntimeError):
        await client.post("/v1/sub-accounts", json={"name": "EU"}, headers=headers)
    monkeypatch.undo()
    assert await count_subs(runtime) == before + 1
    retry = await client.post("/v1/sub-accounts", json={"name": "EU"}, headers=headers)
    assert retry.status_code == 201 and retry.headers["idempotent-replayed"] == "true"
    assert retry.json()["name"] == "EU"
    assert await count_subs(runtime) == before + 1
