"""Inbound SMS: handsets, keywords and auto-replies, the pipeline endpoint, multipart MO."""

from __future__ import annotations

from typing import Any

from relaybox.carriers.base import InboundSms
from relaybox.runtime import Runtime
from tests.messaging.conftest import Network
from tests.support import Tenant

SENDER = "+15557890000"
HANDSET = "+15551230000"


async def text_from_handset(client: Any, t: Tenant, body: str, to: str = SENDER) -> Any:
    r = await client.post(
        f"/v1/simulator/handsets/{HANDSET}/messages",
        headers=t.headers("deploy"),
        json={"to": to, "body": body},
    )
    assert r.status_code == 201, r.text
    return r.json()


async def send(client: Any, t: Tenant, body: str = "hello") -> Any:
    return await client.post(
        f"/v1/projects/{t.project_id}/sms/send",
        headers=t.headers("deploy"),
        json={"to": HANDSET, "from": SENDER, "body": body},
    )


async def test_reply_lands_in_the_project_inbox(
    client: Any, tenant: Tenant, network: Network
) -> None:
    assert (await send(client, tenant)).status_code == 201
    await network.run(seconds=2)
    got = await text_from_handset(client, tenant, "Hi back")
    assert got["project_id"] == tenant.project_id and got["from"] == HANDSET
    inbox = (
        await client.get(
            f"/v1/projects/{tenant.project_id}/sms/inbox", headers=tenant.headers("read")
        )
    ).json()["data"]
    assert [m["body"] for m in inbox] == ["Hi back"]
    account = (await client.get("/v1/sms/inbox", headers=tenant.headers("read"))).json()["data"]
    assert [m["id"] for m in account] == [got["id"]]
    events = await network.events("sms.inbound")
    assert events[0].payload["text"] == "Hi back"
    assert events[0].payload["from"] == HANDSET.lstrip("+")


async def test_stop_start_help(client: Any, tenant: Tenant, network: Network) -> None:
    await send(client, tenant)
    await network.run(seconds=2)
    assert (await text_from_handset(client, tenant, "  stop "))["keyword"] == "opt_out"
    r = await send(client, tenant, "after stop")
    assert r.status_code == 422 and r.json()["error"]["code"] == "recipient_opted_out"
    await text_from_handset(client, tenant, "HELP")  # no help reply while opted out
    await network.run(seconds=2)
    handset = (
        await client.get(
            f"/v1/simulator/handsets/{HANDSET}/messages", headers=tenant.headers("read")
        )
    ).json()["data"]
    received = [m["body"] for m in handset if m["direction"] == "received"]
    assert any("unsubscribed" in b for b in received)
    assert not any("Reply STOP to unsubscribe. Msg" in b for b in received)
    await text_from_handset(client, tenant, "START")
    assert (await send(client, tenant, "welcome back")).status_code == 201
    await text_from_handset(client, tenant, "help")
    await network.run(seconds=2)
    handset = (
        await client.get(
            f"/v1/simulator/handsets/{HANDSET}/messages", headers=tenant.headers("read")
        )
    ).json()["data"]
    bodies = [m["body"] for m in handset if m["direction"] == "received"]
    assert any("re-subscribed" in b for b in bodies)
    assert any(b.startswith("Reply STOP") for b in bodies)
    # "STOP PLEASE" is not a keyword
    assert (await text_from_handset(client, tenant, "STOP PLEASE"))["keyword"] is None


async def test_opt_out_by_api(client: Any, tenant: Tenant, network: Network) -> None:
    r = await client.post(
        f"/v1/projects/{tenant.project_id}/sms/opt-out",
        headers=tenant.headers("deploy"),
        json={"number": HANDSET},
    )
    assert r.status_code == 200 and r.json()["opted_out"] is True
    assert (await send(client, tenant)).status_code == 422


async def test_pipeline_endpoint_uses_its_own_secret(
    client: Any, tenant: Tenant, network: Network
) -> None:
    url = f"/v1/projects/{tenant.project_id}/sms/inbound"
    body = {"from": HANDSET, "to": SENDER, "text": "via pipeline", "messageId": "p-1"}
    assert (await client.post(url, json=body)).status_code == 401
    assert (await client.post(url, json=body, headers=tenant.headers())).status_code == 401
    secret = (
        await client.post(
            f"/v1/projects/{tenant.project_id}/sms/pipeline-secret", headers=tenant.headers("admin")
        )
    ).json()["secret"]
    auth = {"Authorization": f"Bearer {secret}"}
    r = await client.post(url, json=body, headers=auth)
    assert r.status_code == 200 and r.json()["duplicate"] is False
    again = await client.post(url, json=body, headers=auth)
    assert again.json()["duplicate"] is True
    r = await client.post(
        url, content=b"{oops", headers={**auth, "Content-Type": "application/json"}
    )
    assert r.status_code == 400
    inbox = (
        await client.get(
            f"/v1/projects/{tenant.project_id}/sms/inbox", headers=tenant.headers("read")
        )
    ).json()["data"]
    assert [m["body"] for m in inbox] == ["via pipeline"]


async def test_multipart_mo_is_reassembled_once(
    client: Any, runtime: Runtime, tenant: Tenant, network: Network
) -> None:
    await send(client, tenant)
    await network.run(seconds=2)
    parts = ["Part one, ", "part two, ", "part three."]
    order = [3, 1, 1, 2, 3]  # out of order, with duplicates
    for seq in order:
        await runtime.carrier_events.inbound(
            InboundSms(
                carrier="simulator",
                external_id=f"mo-{seq}",
                sender=HANDSET,
                to=SENDER,
                body=parts[seq - 1],
                concat_ref="42",
                part_total=3,
                part_seq=seq,
            )
        )
    inbox = (
        await client.get(
            f"/v1/projects/{tenant.project_id}/sms/inbox", headers=tenant.headers("read")
        )
    ).json()["data"]
    assert [(m["body"], m["parts"]) for m in inbox] == [("".join(parts), 3)]
