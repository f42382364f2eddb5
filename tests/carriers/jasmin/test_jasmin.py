"""relaybox's SMPP adapter through a real Jasmin 0.11.0 gateway to an upstream SMSC.

    relaybox (LiveServer: API + worker, carrier `smpp`) --ESME bind--> Jasmin SMPP server
        --Jasmin connector--> upstream Smsc peer (tests/peers/smsc.py)

Jasmin is the most common open-source SMS gateway: relaybox binding to it as an ESME is what a
customer running one does. These tests check what crosses it intact: a live send reaches the
upstream and Jasmin's receipt turns it `delivered`; UCS-2 and multipart bytes arrive unchanged;
an MO from the upstream reaches relaybox's inbox through Jasmin's MO route.

SQLite only: the storage matrix is covered by the other suites, and Jasmin (one per session,
~7 s to start) is what this file is about.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from relaybox.billing import service as wallet
from relaybox.carriers import connections
from relaybox.carriers.smpp.config import SmppConfig
from relaybox.runtime import Runtime
from tests.conftest import make_settings
from tests.live import LiveServer
from tests.peers.jasmin.fixture import JasminPeer
from tests.support import Tenant, make_tenant

pytestmark = pytest.mark.slow

HANDSET = "+447400123456"


@dataclass
class Relay:
    server: LiveServer
    tenant: Tenant
    number: str  # the project's own number (E.164): sender of MT, destination of MO

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.server.url, timeout=10)


async def _prepare(settings: Any, peer: JasminPeer) -> Tenant:
    """Before the server starts: the `smpp` connection to Jasmin, a tenant with credit."""
    rt = Runtime(settings)
    try:
        config = SmppConfig(
            name="jasmin",
            host="127.0.0.1",
            port=peer.jasmin.smpp_port,
            system_id=peer.jasmin.system_id,
            password=peer.jasmin.password,
        )
        await rt.db.write(lambda s: connections.add_smpp(s, rt.box, config))
        tenant = await make_tenant(rt.db, "Jasmin")

        async def credit(s: Any) -> None:
            await wallet.top_up(s, tenant.account_id, 100_000_000)

        await rt.db.write(credit)
        return tenant
    finally:
        await rt.stop()


@pytest.fixture(scope="module")
def relay(
    jasmin: JasminPeer, tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path
) -> Iterator[Relay]:
    tmp = tmp_path_factory.mktemp("relay-jasmin")
    shutil.copyfile(sqlite_template, tmp / "relaybox.db")
    settings = make_settings(f"sqlite+aiosqlite:///{tmp / 'relaybox.db'}", tmp, carrier="smpp")
    tenant = asyncio.run(_prepare(settings, jasmin))
    server = LiveServer(settings).start()
    try:
        r = httpx.post(
            f"{server.url}/v1/numbers",
            headers=tenant.headers("admin", "live"),
            json={"country": "GB", "type": "mobile", "project_id": tenant.project_id},
            timeout=10,
        )
        assert r.status_code == 201, r.text
        yield Relay(server, tenant, r.json()["number"])
    finally:
        server.stop()


async def send(relay: Relay, body: str) -> dict[str, Any]:
    async with relay.client() as c:
        r = await c.post(
            f"/v1/projects/{relay.tenant.project_id}/sms/send",
            headers=relay.tenant.headers("deploy", "live"),
            json={"to": HANDSET, "from": relay.number, "body": body},
        )
    assert r.status_code == 201, r.text
    return dict(r.json())


async def wait_status(relay: Relay, message_id: str, want: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    async with relay.client() as c:
        while True:
            r = await c.get(
                f"/v1/projects/{relay.tenant.project_id}/sms/messages/{message_id}",
                headers=relay.tenant.headers("read", "live"),
            )
            if r.json()["status"] == want:
                return r.json()
            assert time.monotonic() < deadline, f"still {r.json()['status']}: {r.text}"
            await asyncio.sleep(0.2)


async def submits_to(peer: JasminPeer, marker: bytes, n: int, timeout: float = 30) -> list[Any]:
    """The upstream's submits whose bytes contain `marker` (this test's own), once there are n."""
    deadline = time.monotonic() + timeout
    while True:
        found = [s for s in list(peer.smsc.submits) if marker in s.short_message]
        if len(found) >= n or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_live_send_is_submitted_upstream_and_delivered(
    jasmin: JasminPeer, relay: Relay
) -> None:
    sent = await send(relay, "Hello through Jasmin")
    [submit] = await submits_to(jasmin, b"Hello through Jasmin", 1)
    assert submit.destination_addr == HANDSET.lstrip("+")
    assert submit.data_coding in (0, 1)  # GSM 7-bit (Jasmin may map 0 to its default)
    assert submit.registered_delivery & 1
    done = await wait_status(relay, sent["id"], "delivered")
    assert done["status"] == "delivered"


async def test_ucs2_arrives_intact(jasmin: JasminPeer, relay: Relay) -> None:
    body = "Привет из Jasmin, ☺ ünïcödé"
    sent = await send(relay, body)
    marker = "Jasmin".encode("utf-16-be")
    [submit] = await submits_to(jasmin, marker, 1)
    assert submit.data_coding == 8
    assert submit.short_message.decode("utf-16-be") == body
    await wait_status(relay, sent["id"], "delivered")


def split_udh(data: bytes) -> tuple[tuple[int, int, int], bytes]:
    """(reference, total, sequence) of an 8- or 16-bit concatenation UDH, and the text bytes."""
    header, text = data[1 : 1 + data[0]], data[1 + data[0] :]
    i = 0
    while i < len(header):
        iei, size, value = header[i], header[i + 1], header[i + 2 : i + 2 + header[i + 1]]
        if iei == 0x00:
            return (value[0], value[1], value[2]), text
        if iei == 0x08:
            return (value[0] << 8 | value[1], value[2], value[3]), text
        i += 2 + size
    raise AssertionError(f"no concatenation element in UDH {header.hex()}")


async def test_multipart_arrives_intact(jasmin: JasminPeer, relay: Relay) -> None:
    body = "".join(f"multipart-jasmin {n:03d}; " for n in range(15))  # 345 GSM chars: 3 parts
    sent = await send(relay, body)
    submits = await submits_to(jasmin, b"multipart-jasmin", 3)
    assert len(submits) == 3, [s.short_message for s in submits]
    parts = []
    for submit in submits:
        assert submit.esm_class & 0x40, "UDH indicator"
        (ref, total, seq), text = split_udh(submit.short_message)
        parts.append((ref, total, seq, text))
    assert {(ref, total) for ref, total, _, _ in parts} == {(parts[0][0], 3)}
    joined = b"".join(text for *_, text in sorted(parts, key=lambda p: p[2]))
    assert joined.decode("ascii") == body  # GSM 7-bit, one septet per octet: ASCII letters
    await wait_status(relay, sent["id"], "delivered")


async def test_mo_reaches_the_inbox_through_jasmin(jasmin: JasminPeer, relay: Relay) -> None:
    await jasmin.run(jasmin.smsc.send_mo(HANDSET, relay.number, "Reply via Jasmin"))
    deadline = time.monotonic() + 30
    async with relay.client() as c:
        while True:
            r = await c.get(
                f"/v1/projects/{relay.tenant.project_id}/sms/inbox",
                headers=relay.tenant.headers("read", "live"),
            )
            inbox = r.json()["data"]
            if any(m["body"] == "Reply via Jasmin" for m in inbox):
                break
            assert time.monotonic() < deadline, r.text
            await asyncio.sleep(0.2)
    [mo] = [m for m in inbox if m["body"] == "Reply via Jasmin"]
    assert mo["from"] == HANDSET
