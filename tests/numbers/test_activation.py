"""Project SMS activation (spec 000): a number for the project and its injected environment."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select

from relaybox.accounts.models import ApiKey
from relaybox.billing.models import LedgerEntry
from relaybox.numbers.models import PhoneNumber, ProjectSms
from relaybox.projects.models import EnvVar
from relaybox.runtime import Runtime
from tests.numbers.support import credit
from tests.support import Tenant

USD = 1_000_000


async def count(rt: Runtime, model: Any, *where: Any) -> int:
    async with rt.db.read() as s:
        return int(
            (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
        )


def paths(t: Tenant) -> tuple[str, str, str]:
    base = f"/v1/projects/{t.project_id}"
    return f"{base}/sms/activate", f"{base}/sms/deactivate", f"{base}/env"


async def env_of(client: Any, t: Tenant, scope: str = "deploy") -> dict[str, Any]:
    r = await client.get(paths(t)[2], headers=t.headers(scope, "live"))
    assert r.status_code == 200, r.text
    return {v["name"]: v for v in r.json()["data"]}


async def test_activate_injects_env_and_is_idempotent(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    activate, deactivate, _ = paths(tenant)
    live = tenant.headers("deploy", "live")
    body = {"country": "US", "numberType": "local", "capabilities": ["sms"]}

    r = await client.post(activate, headers=tenant.headers("deploy"), json=body)
    assert r.status_code == 403, r.text  # test keys never buy numbers
    assert await count(runtime, EnvVar) == 0

    r = await client.post(activate, headers=live, json=body)
    assert r.status_code == 200, r.text
    first = r.json()
    assert first["active"] and first["provisioned"]
    number = first["number"]
    assert number["project_id"] == tenant.project_id and "sms" in number["capabilities"]
    assert number["status"] == "active" and number["country"] == "US"
    assert first["env"] == ["CANTILA_SMS_NUMBER", "CANTILA_SMS_API_KEY"]
    assert first["api_key"]["scope"] == "deploy"

    env = await env_of(client, tenant)
    assert env["CANTILA_SMS_NUMBER"]["value"] == number["number"]
    token = env["CANTILA_SMS_API_KEY"]["value"]
    assert token.startswith("sk_live_") and env["CANTILA_SMS_API_KEY"]["secret"]
    # a read key sees the names but not the deploy key's value
    redacted = (await env_of(client, tenant, "read"))["CANTILA_SMS_API_KEY"]
    assert redacted["value"] is None and redacted["redacted"]
    async with runtime.db.read() as s:
        key = (
            await s.execute(select(ApiKey).where(ApiKey.id == first["api_key"]["id"]))
        ).scalar_one()
        assert key.project_id == tenant.project_id and key.scope == "deploy" and key.mode == "live"
        assert token not in key.secret_hash  # only the hash is kept
        stored = (await s.execute(select(EnvVar.value_encrypted))).scalars().all()
        assert all(token not in v and number["number"] not in v for v in stored)

    # again: the same number and key, nothing bought
    r = await client.post(activate, headers=live, json={"country": "GB"})
    assert r.status_code == 200, r.text
    again = r.json()
    assert not again["provisioned"]
    assert again["number"]["id"] == number["id"]
    assert again["api_key"]["id"] == first["api_key"]["id"]
    assert await count(runtime, LedgerEntry, LedgerEntry.kind == "number_subscription") == 1
    r = await client.get("/v1/wallet", headers=tenant.headers("read", "live"))
    assert r.json()["balance"] == "3.85"

    # the injected key sends from the project's number (no `from`)
    sms_key = {"Authorization": f"Bearer {token}"}
    r = await client.post(
        f"/v1/projects/{tenant.project_id}/sms/send",
        headers=sms_key,
        json={"to": "+14155552671", "body": "hello from the project"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["from"] == number["number"]
    r = await client.get("/v1/numbers", headers=sms_key)  # project-scoped: sees its own number
    assert [n["id"] for n in r.json()["data"]] == [number["id"]]

    # deactivate: released, key revoked, env stripped; again: nothing more
    r = await client.post(deactivate, headers=live)
    assert r.status_code == 200, r.text
    assert r.json()["released_number"]["status"] == "released"
    assert await env_of(client, tenant) == {}
    r = await client.get("/v1/numbers", headers=sms_key)
    assert r.status_code == 401
    r = await client.post(deactivate, headers=live)
    assert r.status_code == 200 and r.json()["released_number"] is None
    assert await count(runtime, ProjectSms) == 0
    async with runtime.db.read() as s:
        held = await s.get(PhoneNumber, number["id"])
        assert held is not None and held.status == "released" and held.held_e164 is None


async def test_a_released_number_leaves_the_env_and_activation_buys_another(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    activate, _, _ = paths(tenant)
    live = tenant.headers("deploy", "live")
    first = (await client.post(activate, headers=live, json={"country": "US"})).json()
    r = await client.post(
        f"/v1/numbers/{first['number']['id']}/release", headers=tenant.headers("admin", "live")
    )
    assert r.status_code == 200, r.text
    env = await env_of(client, tenant)
    assert set(env) == {"CANTILA_SMS_API_KEY"}  # the number went, the key stays
    r = await client.post(activate, headers=live, json={"country": "US"})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["provisioned"] and second["number"]["id"] != first["number"]["id"]
    assert second["api_key"]["id"] == first["api_key"]["id"]
    assert (await env_of(client, tenant))["CANTILA_SMS_NUMBER"]["value"] == second["number"][
        "number"
    ]


async def test_activation_refused_without_funds_changes_nothing(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    activate, _, _ = paths(tenant)
    r = await client.post(
        activate, headers=tenant.headers("deploy", "live"), json={"country": "US"}
    )
    assert r.status_code == 403, r.text
    assert r.json()["error"]["code"] == "insufficient_funds"
    for model in (EnvVar, ProjectSms, PhoneNumber, LedgerEntry):
        assert await count(runtime, model) == 0
    assert await count(runtime, ApiKey, ApiKey.name == "CANTILA_SMS_API_KEY") == 0


async def test_concurrent_activations_buy_one_number(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    await credit(runtime, tenant.account_id, 10 * USD)
    activate, _, _ = paths(tenant)
    live = tenant.headers("deploy", "live")
    results = await asyncio.gather(
        *(client.post(activate, headers=live, json={"country": "US"}) for _ in range(4))
    )
    assert [r.status_code for r in results] == [200] * 4, [r.text for r in results]
    assert len({r.json()["number"]["id"] for r in results}) == 1
    assert sum(r.json()["provisioned"] for r in results) == 1
    assert await count(runtime, PhoneNumber) == 1
    assert await count(runtime, ApiKey, ApiKey.name == "CANTILA_SMS_API_KEY") == 1
