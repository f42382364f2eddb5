"""Rates (spec 001): public list prices, account prices with a key, operator edits, and the
price messaging charges per segment."""

from __future__ import annotations

from typing import Any

from relaybox.rates import service as rates
from relaybox.runtime import Runtime
from tests.support import Tenant, operator_token


def by_iso(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["iso_code"]: r for r in body["rates"]}


async def test_public_list_prices(client: Any) -> None:
    r = await client.get("/api/v1/rates")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["pricing"] == "list" and len(body["rates"]) >= 50
    us = by_iso(body)["US"]
    assert us == {
        "country": "United States",
        "iso_code": "US",
        "sms": 0.0079,
        "voice": 0.014,
        "currency": "USD",
        "route_label": "direct",
        "account_specific": False,
    }
    r = await client.get("/api/v1/rates?country=zw")  # not listed: the rest-of-world price
    assert [(x["iso_code"], x["sms"]) for x in r.json()["rates"]] == [("ZW", 0.06)]
    r = await client.get("/api/v1/rates?country=QQ")
    assert r.status_code == 422
    r = await client.get("/api/v1/rates", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


async def test_operator_edits_and_account_prices(
    client: Any, runtime: Runtime, tenant: Tenant, other_tenant: Tenant
) -> None:
    op = {"Authorization": f"Bearer {await operator_token(runtime.db)}"}
    r = await client.put(
        "/v1/admin/rates/gb", headers=op, json={"sms": "0.035", "voice": 0.02, "route_label": "p"}
    )
    assert r.status_code == 200, r.text
    assert (r.json()["iso_code"], r.json()["sms"], r.json()["route_label"]) == ("GB", 0.035, "p")
    r = await client.put(
        f"/v1/admin/accounts/{tenant.account_id}/rates/US",
        headers=op,
        json={"sms": "0.005", "voice": "0.01", "route_label": "wholesale"},
    )
    assert r.status_code == 200 and r.json()["account_specific"] is True
    r = await client.put("/v1/admin/rates/US", headers=op, json={"sms": "-1", "voice": "0"})
    assert r.status_code == 422
    r = await client.put(
        "/v1/admin/rates/US", headers=tenant.headers("admin", "live"), json={"sms": 1, "voice": 1}
    )
    assert r.status_code == 403

    public = by_iso((await client.get("/api/v1/rates")).json())
    assert public["GB"]["sms"] == 0.035 and public["US"]["sms"] == 0.0079
    mine = (await client.get("/api/v1/rates", headers=tenant.headers("read"))).json()
    assert mine["pricing"] == "account"
    assert by_iso(mine)["US"]["sms"] == 0.005 and by_iso(mine)["US"]["account_specific"]
    theirs = by_iso(
        (await client.get("/api/v1/rates", headers=other_tenant.headers("read"))).json()
    )
    assert theirs["US"]["sms"] == 0.0079

    # messaging prices segments from the table
    r = await client.post(
        f"/v1/projects/{tenant.project_id}/sms/send",
        headers=tenant.headers("deploy"),
        json={"to": "+14155552671", "body": "x" * 200},  # two segments
    )
    assert r.status_code == 201, r.text
    assert (r.json()["price"], r.json()["currency"]) == (0.01, "USD")
    async with runtime.db.read() as s:
        assert await rates.sms_price(s, other_tenant.account_id, "US") == (7_900, "USD")
        assert await rates.sms_price(s, None, "GB") == (35_000, "USD")

    r = await client.delete(f"/v1/admin/accounts/{tenant.account_id}/rates/US", headers=op)
    assert r.status_code == 204
    r = await client.delete(f"/v1/admin/accounts/{tenant.account_id}/rates/US", headers=op)
    assert r.status_code == 404
    mine = by_iso((await client.get("/api/v1/rates", headers=tenant.headers("read"))).json())
    assert mine["US"]["sms"] == 0.0079
