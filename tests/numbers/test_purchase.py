"""Buying numbers on the Bird and native surfaces: reservations, charges, refusals, races."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import func, select

from relaybox import ids
from relaybox.accounts.principal import Principal
from relaybox.billing.models import LedgerEntry, Subscription
from relaybox.clock import FrozenClock
from relaybox.numbers.models import PhoneNumber, StockItem
from relaybox.runtime import Runtime
from tests.numbers.support import credit
from tests.support import Tenant, make_tenant

USD = 1_000_000


def ws(t: Tenant) -> str:
    return f"/workspaces/{ids.as_uuid(t.sub_account_id)}"


async def available(client: Any, t: Tenant, query: str = "countryCodes=US&type=local") -> Any:
    r = await client.get(f"{ws(t)}/numbers-available?{query}", headers=t.access_key("read", "live"))
    assert r.status_code == 200, r.text
    return r.json()["results"]


async def count(rt: Runtime, model: Any, *where: Any) -> int:
    async with rt.db.read() as s:
        return int(
            (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()
        )


async def test_reserve_then_buy_long_code_numbers(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    await credit(runtime, tenant.account_id, 10 * USD)
    items = await available(client, tenant)
    assert len(items) == 10  # Bird's default page size
    first, second = items[0], items[1]
    assert first["monthlyPrice"] == {"currencyCode": "USD", "amount": 1_150_000, "exponent": -6}
    assert first["capabilities"]["sms"] == {"inbound": True, "outbound": True}
    admin = tenant.access_key("admin", "live")

    # buying a stock item needs a reservation first
    r = await client.post(
        f"{ws(tenant)}/numbers-long-code", headers=admin, json={"numberStockItemIds": [first["id"]]}
    )
    assert r.status_code == 409, r.text
    assert r.json()["code"] == "Conflict"

    r = await client.post(
        f"{ws(tenant)}/numbers-reservations",
        headers=admin,
        json={"numberStockItemIds": [first["id"], second["id"]], "expiresIn": 300},
    )
    assert r.status_code == 201, r.text
    reserved = r.json()["results"]
    assert {x["id"] for x in reserved} == {first["id"], second["id"]}
    assert reserved[0]["reservation"]["expiresAt"].endswith("Z")

    # reserved items are hidden from everyone else
    other = await make_tenant(runtime.db, "Other")
    theirs = await available(client, other, "countryCodes=US&type=local&limit=99")
    assert first["id"] not in {x["id"] for x in theirs}
    mine = await available(client, tenant, "countryCodes=US&type=local&limit=99")
    assert first["id"] in {x["id"] for x in mine}

    r = await client.post(
        f"{ws(tenant)}/numbers-long-code", headers=admin, json={"numberStockItemIds": [first["id"]]}
    )
    assert r.status_code == 201, r.text
    bought = r.json()["results"][0]
    assert bought["numberString"] == first["numberString"]
    assert bought["countryCode"] == "US" and bought["type"] == "local"
    assert bought["endpoint"]["provisioningStatus"] == "provisioned"
    assert bought["endpoint"]["type"] == "long-code-number"
    assert bought["capabilities"]["voice"] == {"inbound": True, "outbound": True}
    assert bought["order"]["prefix"] == first["numberString"][:5]
    assert bought["deprovisionAt"] is None

    # the reservation of the second one lapses
    frozen.advance(301)
    r = await client.post(
        f"{ws(tenant)}/numbers-long-code",
        headers=admin,
        json={"numberStockItemIds": [second["id"]]},
    )
    assert r.status_code == 409
    theirs = await available(client, other, "countryCodes=US&type=local&limit=99")
    assert second["id"] in {x["id"] for x in theirs}

    r = await client.get(f"{ws(tenant)}/numbers", headers=tenant.access_key("read", "live"))
    assert [n["numberString"] for n in r.json()["results"]] == [first["numberString"]]
    r = await client.get("/v1/wallet", headers=tenant.headers("read", "live"))
    assert r.json()["balance"] == "8.85"


async def test_buy_by_number_and_country(client: Any, runtime: Runtime, tenant: Tenant) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    items = await available(client, tenant, "countryCodes=GB&type=mobile&limit=2")
    r = await client.post(
        f"{ws(tenant)}/numbers",
        headers=tenant.access_key("admin", "live"),
        json={"numbers": [{"number": x["numberString"], "country": "GB"} for x in items]},
    )
    assert r.status_code == 201, r.text
    results = r.json()["results"]
    assert [x["numberString"] for x in results] == [x["numberString"] for x in items]
    assert results[0]["capabilities"]["mms"] == {"inbound": False, "outbound": False}
    # both first months are in the ledger, once each
    async with runtime.db.read() as s:
        rows = (
            (await s.execute(select(LedgerEntry).where(LedgerEntry.kind == "number_subscription")))
            .scalars()
            .all()
        )
    assert sorted(r.amount for r in rows) == [-1_150_000, -1_150_000]
    # the same number again: sold
    r = await client.post(
        f"{ws(tenant)}/numbers",
        headers=tenant.access_key("admin", "live"),
        json={"numbers": [{"number": items[0]["numberString"], "country": "GB"}]},
    )
    assert r.status_code == 409
    # a number that is not in stock, or in another country
    r = await client.post(
        f"{ws(tenant)}/numbers",
        headers=tenant.access_key("admin", "live"),
        json={"numbers": [{"number": items[0]["numberString"], "country": "US"}]},
    )
    assert r.status_code == 404


async def test_native_purchase_charges_the_first_month(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    admin = tenant.headers("admin", "live")
    r = await client.post(
        "/v1/numbers",
        headers=admin,
        json={
            "country": "US",
            "type": "local",
            "area_code": "212",
            "project_id": tenant.project_id,
        },
    )
    assert r.status_code == 201, r.text
    number = r.json()
    assert number["number"].startswith("+1212") and number["status"] == "active"
    assert number["project_id"] == tenant.project_id
    assert number["sub_account_id"] == tenant.sub_account_id
    assert number["monthly_price"] == "1.15" and number["billing_status"] == "active"
    assert number["next_billing_at"] is not None

    r = await client.get("/v1/numbers/catalog?country=US&type=toll_free&limit=1", headers=admin)
    toll_free = r.json()["data"][0]
    r = await client.post("/v1/numbers", headers=admin, json={"number": toll_free["number"]})
    assert r.status_code == 201, r.text
    assert r.json()["type"] == "toll_free" and r.json()["project_id"] is None

    r = await client.get("/v1/wallet/ledger", headers=tenant.headers("read", "live"))
    ledger = r.json()["data"]
    assert [(e["kind"], e["amount"]) for e in ledger] == [
        ("number_subscription", "-2.15"),
        ("number_subscription", "-1.15"),
        ("top_up", "5.00"),
    ]
    assert ledger[0]["balance_after"] == "1.70"
    assert ledger[0]["number_id"] == r.json()["data"][0]["number_id"]


async def test_insufficient_funds_changes_nothing(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    await credit(runtime, tenant.account_id, 1 * USD)
    item = (await available(client, tenant, "countryCodes=US&type=local&limit=1"))[0]
    r = await client.post(
        f"{ws(tenant)}/numbers",
        headers=tenant.access_key("admin", "live"),
        json={"numbers": [{"number": item["numberString"], "country": "US"}]},
    )
    assert r.status_code == 403
    assert r.json()["code"] == "InsufficientFunds"
    r = await client.post(
        "/v1/numbers",
        headers=tenant.headers("admin", "live"),
        json={"number": item["numberString"]},
    )
    assert r.status_code == 403 and r.json()["error"]["code"] == "insufficient_funds"
    assert await count(runtime, PhoneNumber) == 0
    assert await count(runtime, Subscription) == 0
    assert await count(runtime, LedgerEntry) == 1  # the top-up
    async with runtime.db.read() as s:
        row = await s.get(StockItem, ids.parse_id("nsi", item["id"]))
    assert row is not None and row.status == "available"


async def test_test_keys_cannot_buy(client: Any, runtime: Runtime, tenant: Tenant) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    r = await client.post("/v1/numbers", headers=tenant.headers("admin"), json={"country": "US"})
    assert r.status_code == 403 and "live key" in r.json()["error"]["message"]
    assert await count(runtime, PhoneNumber) == 0


async def test_a_replayed_purchase_buys_once(client: Any, runtime: Runtime, tenant: Tenant) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    item = (await available(client, tenant, "countryCodes=CA&type=local&limit=1"))[0]
    headers = {**tenant.access_key("admin", "live"), "Idempotency-Key": "buy-once"}
    body = {"numbers": [{"number": item["numberString"], "country": "CA"}]}
    first = await client.post(f"{ws(tenant)}/numbers", headers=headers, json=body)
    again = await client.post(f"{ws(tenant)}/numbers", headers=headers, json=body)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert await count(runtime, PhoneNumber) == 1
    assert await count(runtime, LedgerEntry, LedgerEntry.kind == "number_subscription") == 1


async def test_two_buyers_of_one_number_one_wins(
    client: Any, runtime: Runtime, tenant: Tenant, other_tenant: Tenant
) -> None:
    for t in (tenant, other_tenant):
        await credit(runtime, t.account_id, 5 * USD)
    items = await available(client, tenant, "countryCodes=US&type=local&limit=3")
    for item in items:
        body = {"numbers": [{"number": item["numberString"], "country": "US"}]}
        results = await asyncio.gather(
            *(
                client.post(f"{ws(t)}/numbers", headers=t.access_key("admin", "live"), json=body)
                for t in (tenant, other_tenant, tenant, other_tenant)
            )
        )
        codes = sorted(r.status_code for r in results)
        assert codes == [201, 409, 409, 409], [r.text for r in results]
    assert await count(runtime, PhoneNumber) == 3
    assert await count(runtime, LedgerEntry, LedgerEntry.kind == "number_subscription") == 3


async def test_one_account_cannot_overspend_with_concurrent_purchases(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    await credit(runtime, tenant.account_id, 3 * USD)  # two numbers at 1.15, not three
    items = await available(client, tenant, "countryCodes=US&type=local&limit=4")
    results = await asyncio.gather(
        *(
            client.post(
                f"{ws(tenant)}/numbers",
                headers=tenant.access_key("admin", "live"),
                json={"numbers": [{"number": item["numberString"], "country": "US"}]},
            )
            for item in items
        )
    )
    assert sorted(r.status_code for r in results) == [201, 201, 403, 403]
    r = await client.get("/v1/wallet", headers=tenant.headers("read", "live"))
    assert r.json()["balance"] == "0.70"


async def test_spec_003_answers_code_6_when_funds_run_out(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    await credit(runtime, tenant.account_id, 1_150_000)
    r = await client.post(
        "/v1/numbers", headers=tenant.headers("admin", "live"), json={"country": "US"}
    )
    assert r.status_code == 201, r.text
    sender = r.json()["number"]
    r = await client.post(
        "/v1/sms",
        headers=tenant.basic("deploy", "live"),
        json={"number": "+14155552671", "text": "hello", "from": sender},
    )
    assert r.status_code == 403
    assert r.json()["errorCode"] == 6


async def test_provision_for_project_is_idempotent(
    client: Any, runtime: Runtime, tenant: Tenant
) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    from relaybox.accounts.models import Project
    from relaybox.errors import Forbidden
    from relaybox.numbers import service as numbers
    from tests.numbers.support import live_admin

    await credit(runtime, tenant.account_id, 5 * USD)
    who = live_admin(tenant)

    async def provision(s: AsyncSession) -> PhoneNumber:
        project = await s.get(Project, tenant.project_id)
        assert project is not None
        return await numbers.provision_for_project(
            s, who, project, country="US", number_type="local", capabilities=["sms", "voice"]
        )

    first = await runtime.db.write(provision)
    again = await runtime.db.write(provision)
    assert first.id == again.id and first.project_id == tenant.project_id
    assert first.sub_account_id == tenant.sub_account_id and first.sms and first.voice
    assert await count(runtime, LedgerEntry, LedgerEntry.kind == "number_subscription") == 1
    async with runtime.db.read() as s:
        assert (await numbers.find_by_e164(s, first.e164)) is not None

    item = (await available(client, tenant, "countryCodes=US&type=toll-free&limit=1"))[0]

    async def specific(s: AsyncSession) -> PhoneNumber:
        project = await s.get(Project, tenant.project_id)
        assert project is not None
        number = await s.get(PhoneNumber, first.id)
        assert number is not None
        await numbers.release_number(s, number)
        return await numbers.provision_for_project(
            s,
            who,
            project,
            country="US",
            number_type="toll_free",
            capabilities=None,
            e164=item["numberString"],
        )

    chosen = await runtime.db.write(specific)
    assert chosen.e164 == item["numberString"] and chosen.project_id == tenant.project_id

    sandbox = Principal(tenant.key_id(), tenant.account_id, None, None, "admin", "test")

    async def as_test_key(s: AsyncSession) -> PhoneNumber:
        project = await s.get(Project, tenant.project_id)
        assert project is not None
        number = await s.get(PhoneNumber, chosen.id)
        assert number is not None
        await numbers.release_number(s, number)
        return await numbers.provision_for_project(s, sandbox, project, country="US")

    with pytest.raises(Forbidden):
        await runtime.db.write(as_test_key)
