"""Owned numbers: release and quarantine, transfer between sub-accounts, porting in."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from relaybox import ids
from relaybox.billing.models import Subscription
from relaybox.clock import FrozenClock
from relaybox.jobs.runner import Runner
from relaybox.numbers import service as numbers
from relaybox.numbers.models import StockItem
from relaybox.runtime import Runtime
from relaybox.webhooks.models import Event
from tests.numbers.support import credit
from tests.support import Tenant

USD = 1_000_000
DAY = 86400.0


async def buy(client: Any, t: Tenant, **body: Any) -> dict[str, Any]:
    r = await client.post(
        "/v1/numbers", headers=t.headers("admin", "live"), json={"country": "US", **body}
    )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def events(rt: Runtime, type_: str) -> list[Event]:
    async with rt.db.read() as s:
        stmt = select(Event).where(Event.type == type_).order_by(Event.id)
        return list((await s.execute(stmt)).scalars().all())


async def test_release_stops_routing_and_returns_the_number_after_quarantine(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    number = await buy(client, tenant, project_id=tenant.project_id)
    async with runtime.db.read() as s:
        found = await numbers.find_by_e164(s, number["number"])
        assert found is not None and found.project_id == tenant.project_id
        assert (await numbers.default_sender(s, tenant.account_id, tenant.project_id)) == found

    r = await client.post(
        f"/v1/numbers/{number['id']}/release", headers=tenant.headers("admin", "live")
    )
    assert r.status_code == 200, r.text
    released = r.json()
    assert released["status"] == "released" and released["billing_status"] == "ended"
    assert released["released_at"] is not None and released["next_billing_at"] is None
    again = await client.post(
        f"/v1/numbers/{number['id']}/release", headers=tenant.headers("admin", "live")
    )
    assert again.status_code == 200  # idempotent
    async with runtime.db.read() as s:
        assert await numbers.find_by_e164(s, number["number"]) is None
        item = (
            await s.execute(select(StockItem).where(StockItem.e164 == number["number"]))
        ).scalar_one()
        assert item.status == "quarantined"
    assert [e.payload["status"] for e in await events(runtime, "number.released")] == ["released"]
    # gone from the list, still readable by id and with status=all
    r = await client.get("/v1/numbers", headers=tenant.headers("read", "live"))
    assert r.json()["data"] == []
    r = await client.get("/v1/numbers?status=all", headers=tenant.headers("read", "live"))
    assert [n["id"] for n in r.json()["data"]] == [number["id"]]

    runner = Runner(runtime)
    frozen.advance(29 * DAY)
    await runner.drain()
    r = await client.get(
        f"/v1/numbers/catalog?prefix={number['number'][:5]}&country=US&limit=100",
        headers=tenant.headers("read"),
    )
    assert number["number"] not in {x["number"] for x in r.json()["data"]}
    frozen.advance(1 * DAY + 1)
    await runner.drain()
    r = await client.get(
        f"/v1/numbers/catalog?contains={number['number'][1:]}&country=US",
        headers=tenant.headers("read"),
    )
    assert [x["number"] for x in r.json()["data"]] == [number["number"]]
    # no renewal was charged for the released number
    r = await client.get(
        "/v1/wallet/ledger?kind=number_subscription", headers=tenant.headers("read", "live")
    )
    assert len(r.json()["data"]) == 1


async def test_transfer_between_sub_accounts(
    client: Any, runtime: Runtime, tenant: Tenant, other_tenant: Tenant
) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    number = await buy(client, tenant, project_id=tenant.project_id)
    admin = tenant.headers("admin", "live")
    r = await client.post("/v1/sub-accounts", headers=admin, json={"name": "EU"})
    eu = r.json()["id"]

    r = await client.post(
        f"/v1/numbers/{number['id']}/transfer",
        headers=admin,
        json={"subAccountId": other_tenant.sub_account_id},
    )
    assert r.status_code == 404  # another account's sub-account is not one we can see
    r = await client.post(
        f"/v1/numbers/{number['id']}/transfer", headers=admin, json={"subAccountId": "sub_nope"}
    )
    assert r.status_code == 404

    r = await client.post(
        f"/v1/numbers/{number['id']}/transfer", headers=admin, json={"subAccountId": eu}
    )
    assert r.status_code == 200, r.text
    moved = r.json()
    assert moved["sub_account_id"] == eu and moved["project_id"] is None  # detached
    # Bird shows it in the new workspace only
    read = tenant.access_key("read", "live")
    r = await client.get(f"/workspaces/{ids.as_uuid(eu)}/numbers", headers=read)
    assert [n["numberString"] for n in r.json()["results"]] == [number["number"]]
    r = await client.get(f"/workspaces/{ids.as_uuid(tenant.sub_account_id)}/numbers", headers=read)
    assert r.json()["results"] == []
    async with runtime.db.read() as s:
        assert await numbers.default_sender(s, tenant.account_id, tenant.project_id) is None
    assert len(await events(runtime, "number.transferred")) == 1


async def test_port_in_moves_through_every_state(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    admin = tenant.headers("admin", "live")
    runner = Runner(runtime)
    r = await client.post(
        "/v1/numbers/port-in",
        headers=admin,
        json={"number": "+14155552671", "carrier": "Acme Telecom"},
    )
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "submitted" and order["foc_date"] is None
    number_id = order["number_id"]
    r = await client.get(f"/v1/numbers/{number_id}", headers=admin)
    assert r.json()["status"] == "porting" and r.json()["billing_status"] is None
    async with runtime.db.read() as s:
        assert await numbers.find_by_e164(s, "+14155552671") is None  # not routed yet

    # a second order for the same number is refused
    r = await client.post(
        "/v1/numbers/port-in", headers=admin, json={"number": "+14155552671", "carrier": "X"}
    )
    assert r.status_code == 409

    async def status() -> dict[str, Any]:
        r = await client.get(f"/v1/numbers/port-orders/{order['id']}", headers=admin)
        return dict(r.json())

    r = await client.post(f"/v1/numbers/{number_id}/complete-port", headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "port_not_released"

    frozen.advance(3600)
    await runner.drain()
    assert (await status())["status"] == "in_review"
    frozen.advance(DAY)
    await runner.drain()
    confirmed = await status()
    assert confirmed["status"] == "foc_confirmed" and confirmed["foc_date"] is not None
    assert confirmed["carrier_released_at"] is None
    r = await client.post(f"/v1/numbers/{number_id}/complete-port", headers=admin)
    assert r.status_code == 409  # the losing carrier has not let go yet

    frozen.advance(2 * DAY + 1)  # past the cut-off (one day before the FOC date)
    r = await client.post(f"/v1/numbers/port-orders/{order['id']}/cancel", headers=admin)
    assert r.status_code == 409 and r.json()["error"]["code"] == "port_cutoff_passed"

    frozen.advance(DAY)
    await runner.drain()
    assert (await status())["carrier_released_at"] is not None
    r = await client.post(f"/v1/numbers/{number_id}/complete-port", headers=admin)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "ported"
    r = await client.get(f"/v1/numbers/{number_id}", headers=admin)
    assert r.json()["status"] == "active" and r.json()["billing_status"] == "active"
    async with runtime.db.read() as s:
        assert (await numbers.find_by_e164(s, "+14155552671")) is not None
    r = await client.post(f"/v1/numbers/{number_id}/complete-port", headers=admin)
    assert r.status_code == 200  # already complete: the same answer

    changes = [
        (e.payload["previous_status"], e.payload["status"])
        for e in await events(runtime, "number.port_in.updated")
    ]
    assert changes == [
        (None, "submitted"),
        ("submitted", "in_review"),
        ("in_review", "foc_confirmed"),
        ("foc_confirmed", "foc_confirmed"),  # the losing carrier released the number
        ("foc_confirmed", "ported"),
    ]
    r = await client.get("/v1/wallet/ledger", headers=admin)
    assert r.json()["data"][0]["kind"] == "number_subscription"


async def test_port_exception_and_cancel(
    client: Any, runtime: Runtime, tenant: Tenant, frozen: FrozenClock
) -> None:
    admin = tenant.headers("admin", "live")
    runner = Runner(runtime)
    rejected = (
        await client.post(
            "/v1/numbers/port-in",
            headers=admin,
            json={"number": "+12125550100", "carrier": "Reject Mobile"},
        )
    ).json()
    cancelled = (
        await client.post(
            "/v1/numbers/port-in",
            headers=admin,
            json={"number": "+13105550123", "carrier": "Acme"},
        )
    ).json()
    r = await client.post(f"/v1/numbers/port-orders/{cancelled['id']}/cancel", headers=admin)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = await client.post(f"/v1/numbers/port-orders/{cancelled['id']}/cancel", headers=admin)
    assert r.status_code == 409
    for step in (3600, DAY):  # review, then the losing carrier's answer
        frozen.advance(step)
        await runner.drain()
    r = await client.get(f"/v1/numbers/port-orders/{rejected['id']}", headers=admin)
    assert r.json()["status"] == "exception" and "rejected" in r.json()["exception_reason"]
    for order in (rejected, cancelled):
        r = await client.get(f"/v1/numbers/{order['number_id']}", headers=admin)
        assert r.json()["status"] == "released"
    # the number is free to port again
    r = await client.post(
        "/v1/numbers/port-in", headers=admin, json={"number": "+13105550123", "carrier": "Acme"}
    )
    assert r.status_code == 201
    r = await client.get("/v1/numbers/port-orders", headers=admin)
    assert len(r.json()["data"]) == 3
    # test keys do not port
    r = await client.post(
        "/v1/numbers/port-in",
        headers=tenant.headers("admin"),
        json={"number": "+14155550199", "carrier": "Acme"},
    )
    assert r.status_code == 403


async def test_bird_release_and_views(client: Any, runtime: Runtime, tenant: Tenant) -> None:
    await credit(runtime, tenant.account_id, 5 * USD)
    number = await buy(client, tenant)
    ws = f"/workspaces/{ids.as_uuid(tenant.sub_account_id)}"
    assert number["sub_account_id"] is None  # an account-level purchase: in no workspace
    r = await client.post(
        f"/v1/numbers/{number['id']}/transfer",
        headers=tenant.headers("admin", "live"),
        json={"sub_account_id": tenant.sub_account_id},
    )
    assert r.status_code == 200
    uuid = ids.as_uuid(number["id"])
    read = tenant.access_key("read", "live")
    r = await client.get(f"{ws}/numbers/{uuid}", headers=read)
    assert r.status_code == 200 and r.json()["numberString"] == number["number"]
    r = await client.get(f"{ws}/numbers/{number['id']}", headers=read)  # prefixed form too
    assert r.status_code == 200
    r = await client.delete(f"{ws}/numbers/{uuid}", headers=tenant.access_key("admin", "live"))
    assert r.status_code == 204
    r = await client.get(f"{ws}/numbers/{uuid}", headers=read)
    assert r.json()["endpoint"]["provisioningStatus"] == "deprovisioned"
    assert r.json()["deprovisionAt"] is not None
    async with runtime.db.read() as s:
        sub = (
            await s.execute(select(Subscription).where(Subscription.number_id == number["id"]))
        ).scalar_one()
    assert sub.status == "ended"
