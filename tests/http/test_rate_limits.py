"""Per-key token buckets: 429 with Retry-After and RateLimit headers; never executed."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from relaybox.accounts.models import SubAccount
from relaybox.errors import RateLimited
from relaybox.http.ratelimit import Limit, RateLimiter
from relaybox.runtime import Runtime
from relaybox.settings import Settings
from tests.support import Tenant


async def test_limited_request_is_refused_and_not_executed(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    r = await client.post(
        "/v1/keys",
        json={"scope": "admin", "mode": "test", "rate_limit_per_minute": 3},
        headers=tenant.headers(),
    )
    headers = {"Authorization": f"Bearer {r.json()['secret']}"}
    for i in range(3):
        ok = await client.post("/v1/sub-accounts", json={"name": f"s{i}"}, headers=headers)
        assert ok.status_code == 201
        assert ok.headers["ratelimit-limit"] == "3"
        assert ok.headers["ratelimit-remaining"] == str(2 - i)
    async with runtime.db.read() as s:
        before = (await s.execute(select(func.count()).select_from(SubAccount))).scalar_one()
    r = await client.post("/v1/sub-accounts", json={"name": "over"}, headers=headers)
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) >= 1
    assert r.headers["ratelimit-remaining"] == "0"
    async with runtime.db.read() as s:
        after = (await s.execute(select(func.count()).select_from(SubAccount))).scalar_one()
    assert after == before
    # other keys are not affected
    assert (await client.get("/v1/account", headers=tenant.headers())).status_code == 200


def test_surface_defaults_follow_the_specs() -> None:
    from relaybox.http.surfaces import BIRD, NATIVE, SMSVOIP, VERIFY

    s = Settings(secret_key="x")
    assert SMSVOIP.limit(s) == Limit(120, 60)  # spec 001: 120 requests/min per key
    assert VERIFY.limit(s) == Limit(30, 1)  # spec 003: 30 requests/s
    assert NATIVE.limit(s).requests > 0 and BIRD.limit(s).requests > 0


def test_bucket_allows_burst_then_refills(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr("relaybox.http.ratelimit.time.monotonic", lambda: now[0])
    limiter, limit = RateLimiter(), Limit(120, 60)
    for _ in range(120):
        limiter.take("k", "smsvoip", limit)
    with pytest.raises(RateLimited) as err:
        limiter.take("k", "smsvoip", limit)
    assert err.value.headers["Retry-After"] == "1"
    now[0] += 0.5  # 2 tokens per second
    limiter.take("k", "smsvoip", limit)
    with pytest.raises(RateLimited):
        limiter.take("k", "smsvoip", limit)
    limiter.take("other", "smsvoip", limit)  # separate bucket per key
