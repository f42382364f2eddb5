"""A new customer's numbers journey, scripted against the API as they would use it.

An operator creates the account, a live key and a top-up; the customer searches the catalog on
the native and Bird surfaces, reserves and buys a number on Bird, finds it in the native list
and the purchase in the ledger, moves it to another sub-account, releases it, ports a number
in through every state of the order, then activates SMS on a project and sends from its number
with the injected live key: the price is held at accept, charged in the ledger once the
simulated carrier accepts the message, and refunded when the carrier then fails it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from relaybox import ids
from relaybox.clock import FrozenClock
from relaybox.runtime import Runtime
from tests.messaging.conftest import Network
from tests.support import operator_token

DAY = 86400.0


@pytest.fixture
async def network(runtime: Runtime, frozen: FrozenClock) -> AsyncIterator[Network]:
    await runtime.carriers.start(runtime.carrier_events)
    yield Network(runtime, frozen)
    await runtime.carriers.stop()


async def test_numbers_journey(client: Any, runtime: Runtime, network: Network) -> None:
    op = {"Authorization": f"Bearer {await operator_token(runtime.db)}"}

    # -- the operator sets the customer up ----------------------------------------------------
    r = await client.post("/v1/admin/accounts", headers=op, json={"name": "Journey Co"})
    account = r.json()["id"]
    r = await client.post(
        f"/v1/admin/accounts/{account}/keys", headers=op, json={"scope": "admin", "mode": "live"}
    )
    assert r.status_code == 201, r.text
    secret = r.json()["secret"]
    bearer = {"Authorization": f"Bearer {secret}"}
    access = {"Authorization": f"AccessKey {secret}"}
    r = await client.post(
        f"/v1/admin/accounts/{account}/top-up", headers=op, json={"amount": "50.00"}
    )
    assert r.status_code == 201, r.text

    main = (await client.post("/v1/sub-accounts", headers=bearer, json={"name": "Main"})).json()
    support = (
        await client.post("/v1/sub-accounts", headers=bearer, json={"name": "Support"})
    ).json()
    ws = f"/workspaces/{ids.as_uuid(main['id'])}"
    org = f"/organizations/{ids.as_uuid(account)}"

    # -- search on both surfaces ------------------------------------------------------------
    r = await client.get(
        "/v1/numbers/catalog?country=US&type=local&area_code=415&capabilities=sms,mms",
        headers=bearer,
    )
    assert r.status_code == 200, r.text
    native = r.json()["data"]
    assert native and all(x["number"].startswith("+1415") for x in native)
    r = await client.get(
        f"{ws}/numbers-available?countryCodes=US&type=local&prefix=%2B1415&limit=5", headers=access
    )
    assert r.status_code == 200, r.text
    offered = r.json()["results"]
    assert len(offered) == 5
    assert {x["numberString"] for x in offered} <= {x["number"] for x in native}
    r = await client.get(f"{org}/numbers-stock-items?countryCodes=US&limit=3", headers=access)
    assert len(r.json()["results"]) == 3 and r.json()["nextPageToken"]
    choice = offered[0]
    assert choice["monthlyPrice"] == {"currencyCode": "USD", "amount": 1_150_000, "exponent": -6}

    # -- reserve and buy on Bird -------------------------------------------------------------
    r = await client.post(
        f"{ws}/numbers-reservations", headers=access, json={"numberStockItemIds": [choice["id"]]}
    )
    assert r.status_code == 201, r.text
    r = await client.post(
        f"{ws}/numbers-long-code", headers=access, json={"numberStockItemIds": [choice["id"]]}
    )
    assert r.status_code == 201, r.text
    bought = r.json()["results"][0]
    assert bought["numberString"] == choice["numberString"]
    assert bought["endpoint"]["provisioningStatus"] == "provisioned"

    # -- the native list, the wallet and the ledger ------------------------------------------
    r = await client.get("/v1/numbers", headers=bearer)
    (listed,) = r.json()["data"]
    assert listed["number"] == choice["numberString"] and listed["status"] == "active"
    assert listed["sub_account_id"] == main["id"]
    assert ids.as_uuid(listed["id"]) == bought["id"]
    r = await client.get("/v1/wallet", headers=bearer)
    assert r.json()["balance"] == "48.85"
    r = await client.get("/v1/wallet/ledger", headers=bearer)
    entries = [(e["kind"], e["amount"], e["number_id"]) for e in r.json()["data"]]
    assert entries == [
        ("number_subscription", "-1.15", listed["id"]),
        ("top_up", "50.00", None),
    ]

    # -- transfer it to another sub-account, then release it ---------------------------------
    r = await client.post(
        f"/v1/numbers/{listed['id']}/transfer",
        headers=bearer,
        json={"subAccountId": support["id"]},
    )
    assert r.status_code == 200 and r.json()["sub_account_id"] == support["id"]
    r = await client.get(f"/workspaces/{ids.as_uuid(support['id'])}/numbers", headers=access)
    assert [n["numberString"] for n in r.json()["results"]] == [choice["numberString"]]
    r = await client.get(f"{ws}/numbers", headers=access)
    assert r.json()["results"] == []

    r = await client.post(f"/v1/numbers/{listed['id']}/release", headers=bearer)
    assert r.status_code == 200 and r.json()["status"] == "released"
    r = await client.get("/v1/numbers", headers=bearer)
    assert r.json()["data"] == []

    # -- port a number in --------------------------------------------------------------------
    r = await client.post(
        "/v1/numbers/port-in",
        headers=bearer,
        json={"number": "+16175550142", "carrier": "Old Telco", "sub_account_id": main["id"]},
    )
    assert r.status_code == 201, r.text
    order = r.json()
    states = [order["status"]]
    for step in (3600, DAY, 3 * DAY):
        await network.run(seconds=step, step=step)
        r = await client.get(f"/v1/numbers/port-orders/{order['id']}", headers=bearer)
        states.append(r.json()["status"])
    assert states == ["submitted", "in_review", "foc_confirmed", "foc_confirmed"]
    assert r.json()["carrier_released_at"] is not None
    r = await client.post(f"/v1/numbers/{order['number_id']}/complete-port", headers=bearer)
    assert r.status_code == 200 and r.json()["status"] == "ported"
    r = await client.get(f"/v1/numbers/{order['number_id']}", headers=bearer)
    assert r.json()["status"] == "active" and r.json()["number"] == "+16175550142"

    r = await client.get("/v1/events?type=number.port_in.updated&limit=20", headers=bearer)
    seen = [e["payload"]["status"] for e in reversed(r.json()["data"])]
    assert seen == ["submitted", "in_review", "foc_confirmed", "foc_confirmed", "ported"]
    r = await client.get("/v1/wallet", headers=bearer)
    assert r.json()["balance"] == "47.70"

    # -- SMS on a project: the number, the injected key, a live send -------------------------
    r = await client.post(
        "/v1/projects", headers=bearer, json={"name": "shop", "sub_account_id": main["id"]}
    )
    assert r.status_code == 201, r.text
    project = r.json()["id"]
    r = await client.post(
        f"/v1/projects/{project}/sms/activate",
        headers=bearer,
        json={"country": "US", "numberType": "local", "capabilities": ["sms", "mms"]},
    )
    assert r.status_code == 200, r.text
    sms_number = r.json()["number"]
    assert sms_number["project_id"] == project and sms_number["status"] == "active"
    r = await client.get(f"/v1/projects/{project}/env", headers=bearer)
    env = {v["name"]: v["value"] for v in r.json()["data"]}
    assert env["CANTILA_SMS_NUMBER"] == sms_number["number"]
    app_key = {"Authorization": f"Bearer {env['CANTILA_SMS_API_KEY']}"}
    r = await client.get("/v1/wallet", headers=bearer)
    assert r.json()["balance"] == "46.55"  # its first month

    send = f"/v1/projects/{project}/sms/send"
    r = await client.post(send, headers=app_key, json={"to": "+14155552671", "body": "Hi there"})
    assert r.status_code == 201, r.text
    sent = r.json()
    assert sent["from"] == sms_number["number"]
    r = await client.get("/v1/wallet", headers=bearer)
    assert (r.json()["balance"], r.json()["held"]) == ("46.5421", "0.0079")  # held at accept
    r = await client.get("/v1/wallet/ledger?kind=sms_charge", headers=bearer)
    assert r.json()["data"] == []
    await network.run(seconds=5)
    r = await client.get(f"/v1/projects/{project}/sms/messages/{sent['id']}", headers=app_key)
    assert r.json()["status"] == "delivered"
    r = await client.get("/v1/wallet/ledger?kind=sms_charge", headers=bearer)
    assert [(e["amount"], e["ref"]) for e in r.json()["data"]] == [("-0.0079", f"sms:{sent['id']}")]

    # the carrier accepts this one, then blocks it: the charge is refunded
    r = await client.post(send, headers=app_key, json={"to": "+15005550002", "body": "Hi"})
    assert r.status_code == 201, r.text
    blocked = r.json()["id"]
    await network.run(seconds=5)
    r = await client.get(f"/v1/projects/{project}/sms/messages/{blocked}", headers=app_key)
    assert r.json()["status"] == "failed"
    r = await client.get("/v1/wallet/ledger?limit=3", headers=bearer)
    assert [(e["kind"], e["amount"], e["ref"]) for e in r.json()["data"]] == [
        ("refund", "0.0079", f"sms:{blocked}"),
        ("sms_charge", "-0.0079", f"sms:{blocked}"),
        ("sms_charge", "-0.0079", f"sms:{sent['id']}"),
    ]
    r = await client.get("/v1/wallet", headers=bearer)
    assert (r.json()["balance"], r.json()["held"]) == ("46.5421", "0.00")
