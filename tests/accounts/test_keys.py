"""API keys: schemes, scopes, restrictions, expiry, rotation, revocation, suspension."""

from __future__ import annotations

import base64
from typing import Any

from relaybox.clock import FrozenClock
from relaybox.runtime import Runtime
from tests.support import Tenant, operator_token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def new_key(client: Any, tenant: Tenant, **body: Any) -> dict[str, Any]:
    body.setdefault("scope", "read")
    body.setdefault("mode", "test")
    r = await client.post("/v1/keys", json=body, headers=tenant.headers("admin"))
    assert r.status_code == 201, r.text
    return dict(r.json())


async def test_three_schemes_authenticate_the_same_key(client: Any, tenant: Tenant) -> None:
    for headers in (tenant.headers(), tenant.basic(), tenant.access_key()):
        r = await client.get("/v1/account", headers=headers)
        assert r.status_code == 200, (headers, r.text)
        assert r.json()["id"] == tenant.account_id


async def test_bad_credentials_are_401(client: Any, tenant: Tenant) -> None:
    token, key_id = tenant.token(), tenant.key_id()
    other_id = tenant.key_id("read")
    cases = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Token abc"},
        {"Authorization": "Bearer sk_test_doesnotexist000000000000000000000000000"},
        {"Authorization": "Bearer " + token[:-1] + ("A" if token[-1] != "A" else "B")},
        {"Authorization": "Basic !!!notbase64"},
        {"Authorization": "Basic " + base64.b64encode(b"justonepart").decode()},
        {"Authorization": "Basic " + base64.b64encode(f"{other_id}:{token}".encode()).decode()},
    ]
    for headers in cases:
        r = await client.get("/v1/account", headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert r.json()["error"]["code"] in ("unauthorized", "key_inactive")
    assert key_id  # the right id works (see test above)


async def test_secret_is_shown_once_and_stored_hashed(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    created = await new_key(client, tenant, name="ci")
    assert created["secret"].startswith("sk_test_")
    assert created["basic"] == f"{created['id']}:{created['secret']}"
    listed = (await client.get("/v1/keys", headers=tenant.headers())).json()["data"]
    assert all("secret" not in k for k in listed)
    fetched = (await client.get(f"/v1/keys/{created['id']}", headers=tenant.headers())).json()
    assert "secret" not in fetched
    from sqlalchemy import select

    from relaybox.accounts.models import ApiKey

    async with runtime.db.read() as s:
        stored = (await s.execute(select(ApiKey).where(ApiKey.id == created["id"]))).scalar_one()
    assert created["secret"] not in stored.secret_hash
    assert len(stored.secret_hash) == 64


async def test_scope_order_and_grants(client: Any, tenant: Tenant) -> None:
    r = await client.post("/v1/sub-accounts", json={"name": "x"}, headers=tenant.headers("deploy"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_scope"
    r = await client.get("/v1/projects", headers=tenant.headers("read"))
    assert r.status_code == 200
    restricted = await new_key(client, tenant, scope="admin", project_id=tenant.project_id)
    r = await client.post(
        "/v1/keys", json={"scope": "admin", "mode": "test"}, headers=bearer(restricted["secret"])
    )
    assert r.status_code == 201
    assert r.json()["project_id"] == tenant.project_id  # inherits the restriction
    # a test key cannot mint live keys
    r = await client.post(
        "/v1/keys", json={"scope": "read", "mode": "live"}, headers=tenant.headers("admin", "test")
    )
    assert r.status_code == 403


async def test_project_restricted_key_sees_only_its_project(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    r = await client.post(
        "/v1/projects",
        json={"name": "second", "sub_account_id": tenant.sub_account_id},
        headers=tenant.headers(),
    )
    second = r.json()["id"]
    key = await new_key(client, tenant, project_id=tenant.project_id)
    listed = (await client.get("/v1/projects", headers=bearer(key["secret"]))).json()["data"]
    assert [p["id"] for p in listed] == [tenant.project_id]
    r = await client.get(f"/v1/projects/{second}", headers=bearer(key["secret"]))
    assert r.status_code == 404


async def test_ip_allowlist(client: Any, tenant: Tenant) -> None:
    inside = await new_key(client, tenant, allowed_cidrs=["127.0.0.0/8"])
    outside = await new_key(client, tenant, allowed_cidrs=["10.1.0.0/16", "2001:db8::/32"])
    assert (await client.get("/v1/account", headers=bearer(inside["secret"]))).status_code == 200
    r = await client.get("/v1/account", headers=bearer(outside["secret"]))
    assert r.status_code == 403 and r.json()["error"]["code"] == "ip_not_allowed"


async def test_expiry(client: Any, tenant: Tenant, frozen: FrozenClock) -> None:
    key = await new_key(client, tenant, expires_in_seconds=3600)
    assert (await client.get("/v1/account", headers=bearer(key["secret"]))).status_code == 200
    frozen.advance(3601)
    r = await client.get("/v1/account", headers=bearer(key["secret"]))
    assert r.status_code == 401 and r.json()["error"]["code"] == "key_inactive"


async def test_rotation_grace_then_revoked(
    client: Any, tenant: Tenant, frozen: FrozenClock
) -> None:
    old = await new_key(client, tenant, scope="deploy")
    r = await client.post(
        f"/v1/keys/{old['id']}/rotate", json={"grace_seconds": 600}, headers=tenant.headers()
    )
    assert r.status_code == 201, r.text
    new = r.json()["new_key"]
    assert new["scope"] == "deploy" and new["secret"] != old["secret"]
    assert r.json()["old_key"]["replaced_by_id"] == new["id"]
    for token in (old["secret"], new["secret"]):
        assert (await client.get("/v1/account", headers=bearer(token))).status_code == 200
    frozen.advance(601)
    assert (await client.get("/v1/account", headers=bearer(old["secret"]))).status_code == 401
    assert (await client.get("/v1/account", headers=bearer(new["secret"]))).status_code == 200


async def test_revocation_is_immediate(client: Any, tenant: Tenant) -> None:
    key = await new_key(client, tenant)
    assert (await client.get("/v1/account", headers=bearer(key["secret"]))).status_code == 200
    r = await client.post(f"/v1/keys/{key['id']}/revoke", headers=tenant.headers())
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert (await client.get("/v1/account", headers=bearer(key["secret"]))).status_code == 401


async def test_suspended_account_is_403_everywhere(
    client: Any, runtime: Runtime, tenant: Tenant, other_tenant: Tenant
) -> None:
    op = bearer(await operator_token(runtime.db))
    r = await client.post(f"/v1/admin/accounts/{tenant.account_id}/suspend", headers=op)
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    for headers in (tenant.headers(), tenant.basic(), tenant.access_key()):
        r = await client.get("/v1/projects", headers=headers)
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "account_suspended"
    assert (await client.get("/v1/account", headers=other_tenant.headers())).status_code == 200
    await client.post(f"/v1/admin/accounts/{tenant.account_id}/resume", headers=op)
    assert (await client.get("/v1/projects", headers=tenant.headers())).status_code == 200


async def test_operator_manages_accounts_but_acts_in_none(client: Any, runtime: Runtime) -> None:
    op = bearer(await operator_token(runtime.db))
    r = await client.post(
        "/v1/admin/accounts", json={"name": "Acme", "geo_permissions": ["us"]}, headers=op
    )
    assert r.status_code == 201 and r.json()["geo_permissions"] == ["US"]
    account = r.json()["id"]
    r = await client.post(
        f"/v1/admin/accounts/{account}/keys", json={"scope": "admin", "mode": "live"}, headers=op
    )
    assert r.status_code == 201
    assert (await client.get("/v1/account", headers=bearer(r.json()["secret"]))).json()[
        "id"
    ] == account
    listed = (await client.get("/v1/admin/accounts", headers=op)).json()["data"]
    assert account in [a["id"] for a in listed]
    assert (await client.get("/v1/projects", headers=op)).status_code == 403
