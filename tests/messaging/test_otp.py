"""OTP over SMS: same code on resend, send limit, 5 wrong checks, expiry, hashed codes."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from relaybox.runtime import Runtime
from relaybox.verify.models import Verification
from tests.messaging.conftest import Network
from tests.support import Tenant

PHONE = "+15551230000"


async def request(client: Any, t: Tenant) -> Any:
    return await client.post(
        f"/v1/projects/{t.project_id}/sms/otp/request",
        headers=t.headers("deploy"),
        json={"to": PHONE},
    )


async def verify(client: Any, t: Tenant, code: str) -> Any:
    return await client.post(
        f"/v1/projects/{t.project_id}/sms/otp/verify",
        headers=t.headers("deploy"),
        json={"to": PHONE, "code": code},
    )


async def codes_on_handset(client: Any, t: Tenant) -> list[str]:
    data = (
        await client.get(f"/v1/simulator/handsets/{PHONE}/messages", headers=t.headers("read"))
    ).json()["data"]
    return [m.group(1) for d in data if (m := re.search(r"code is (\d+)", d["body"]))]


async def test_request_resend_and_verify(
    client: Any, runtime: Runtime, tenant: Tenant, network: Network
) -> None:
    first = await request(client, tenant)
    assert first.status_code == 201, first.text
    assert first.json()["resent"] is False and first.json()["code_length"] == 6
    second = await request(client, tenant)
    assert second.json()["resent"] is True and second.json()["id"] == first.json()["id"]
    await network.run(seconds=2)
    codes = await codes_on_handset(client, tenant)
    assert len(codes) == 2 and codes[0] == codes[1] and len(codes[0]) == 6
    async with runtime.db.read() as s:
        stored = (await s.execute(select(Verification))).scalar_one()
    assert codes[0] not in (stored.code_hash, stored.salt)
    wrong = "000000" if codes[0] != "000000" else "111111"
    r = await verify(client, tenant, wrong)
    assert r.json() == {**r.json(), "status": "pending", "valid": False, "attempts_remaining": 4}
    r = await verify(client, tenant, codes[0])
    assert r.json()["status"] == "approved" and r.json()["valid"] is True
    assert (await verify(client, tenant, codes[0])).status_code == 404  # used codes never verify
    stats = (await client.get("/v1/sms/otp", headers=tenant.headers("read"))).json()
    assert stats["issued"] == 1 and stats["verified"] == 1 and stats["conversion"] == 1.0


async def test_five_wrong_checks_end_it(client: Any, tenant: Tenant, network: Network) -> None:
    await request(client, tenant)
    await network.run(seconds=2)
    (code,) = await codes_on_handset(client, tenant)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        assert (await verify(client, tenant, wrong)).json()["status"] == "pending"
    assert (await verify(client, tenant, wrong)).json()["status"] == "max_attempts_reached"
    assert (await verify(client, tenant, code)).status_code == 404


async def test_send_limit_and_expiry(client: Any, tenant: Tenant, network: Network) -> None:
    for _ in range(5):
        assert (await request(client, tenant)).status_code == 201
    r = await request(client, tenant)
    assert r.status_code == 429 and "retry-after" in r.headers
    network.clock.advance(601)
    await network.run(seconds=2)
    codes = await codes_on_handset(client, tenant)
    assert (await verify(client, tenant, codes[0])).status_code == 404  # expired
    fresh = await request(client, tenant)
    assert fresh.status_code == 201 and fresh.json()["resent"] is False
