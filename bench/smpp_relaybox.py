"""relaybox's half of bench.smpp_e2e: native send (live key) -> `smpp` adapter -> the SMSC.

A fresh SQLite database gets the `smpp` connection to the bench SMSC, a tenant with credit and a
GB mobile number (the sender); `relaybox serve` (API + worker in one process, live traffic on
the `smpp` adapter) runs as a subprocess; the status webhook receiver from bench.e2e records
each message's `delivered` event.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench import loadgen
from bench.common import PY, Process, free_port, server_env, wait_http
from bench.e2e import Receiver
from bench.smpp_e2e import suffix

SECRET = "bench"


async def _prepare(db_url: str, work: Path, smsc: Any) -> Any:
    from bench.smpp_e2e import SMSC_ID, SMSC_PASSWORD
    from relaybox import migrate
    from relaybox.billing import service as wallet
    from relaybox.carriers import connections
    from relaybox.carriers.smpp.config import SmppConfig
    from relaybox.runtime import Runtime
    from relaybox.settings import Settings
    from tests.support import make_tenant

    migrate.upgrade(db_url)
    rt = Runtime(Settings(database_url=db_url, data_dir=work, secret_key=SECRET, demo=False))
    try:
        config = SmppConfig(
            name="bench-smsc",
            host="127.0.0.1",
            port=smsc.port,
            system_id=SMSC_ID,
            password=SMSC_PASSWORD,
        )
        await rt.db.write(lambda s: connections.add_smpp(s, rt.box, config))
        tenant = await make_tenant(rt.db, "Bench")

        async def credit(s: Any) -> None:
            await wallet.top_up(s, tenant.account_id, 10**15)

        await rt.db.write(credit)
        return tenant
    finally:
        await rt.stop()


async def _phase(
    port: int, tenant: Any, sender: str, tag: int, n: int, connections: int
) -> tuple[loadgen.Load, dict[str, float]]:
    path = f"/v1/projects/{tenant.project_id}/sms/send"
    headers = {
        "Authorization": f"Bearer {tenant.token('deploy', 'live')}",
        "Content-Type": "application/json",
    }

    def requests() -> Any:
        for i in range(n):
            to = f"+447400{tag}{suffix(i)}"
            body = orjson.dumps({"to": to, "from": sender, "body": f"bench {tag} {i}"})
            yield loadgen.request("POST", path, body, headers)

    sent_at: dict[str, float] = {}

    def accepted(body: bytes, started: float) -> None:
        if body.startswith(b"{"):
            data = orjson.loads(body)
            if "id" in data:
                sent_at[data["id"]] = started

    load = await loadgen.run("127.0.0.1", port, requests(), connections, on_timed_response=accepted)
    return load, sent_at


async def run_relaybox(args: argparse.Namespace, smsc: Any, work: Path) -> dict[str, Any]:
    from bench.smpp_e2e import drain, summarize

    db_url = f"sqlite+aiosqlite:///{work / 'relaybox.db'}"
    tenant = await asyncio.to_thread(asyncio.run, _prepare(db_url, work, smsc))
    receiver = Receiver()
    hook_port = await receiver.start()
    port = free_port()
    env = server_env(db_url, work, port, SECRET, carrier="smpp")
    bound = smsc.stats().get("bound_sessions", 0)
    log = work / "relaybox.log"
    server = Process([PY, "-m", "relaybox.cli", "serve", "--no-migrate"], env, log)
    try:
        base = f"http://127.0.0.1:{port}"
        await asyncio.to_thread(wait_http, f"{base}/api/v1/ping")
        async with httpx.AsyncClient(base_url=base, timeout=30) as api:
            r = await api.put(
                f"/v1/projects/{tenant.project_id}/webhooks",
                headers=tenant.headers("admin"),
                json={"status_url": f"http://127.0.0.1:{hook_port}/status"},
            )
            r.raise_for_status()
            r = await api.post(
                "/v1/numbers",
                headers=tenant.headers("admin", "live"),
                json={"country": "GB", "type": "mobile", "project_id": tenant.project_id},
            )
            r.raise_for_status()
            sender = r.json()["number"]
        await asyncio.to_thread(smsc.wait_bound, bound + 1)
        load, sent_at = await _phase(port, tenant, sender, 0, args.warmup, 8)
        warm = await drain(receiver.delivered, sent_at, args.idle_timeout)
        if not any(m in receiver.delivered for m in sent_at):
            raise RuntimeError(f"relaybox: nothing delivered in the warm-up ({load.statuses})")
        before, cpu = smsc.stats(), server.cpu_seconds()
        started = time.monotonic()
        load, sent_at = await _phase(port, tenant, sender, 1, args.messages, args.connections)
        end = await drain(receiver.delivered, sent_at, args.idle_timeout)
        result = summarize("relaybox", load, sent_at, receiver.delivered, before, smsc.stats())
        result["server_cpu_s"] = round(server.cpu_seconds() - cpu, 1)
        result["wall_s"] = round(time.monotonic() - started, 1)
        result["drain"] = f"warm-up {warm}; {end}"
        if result["delivered"] < result["accepted"]:
            print(f"--- relaybox log, last lines ---\n{log.read_text()[-3000:]}")
        return result
    finally:
        server.stop()
        receiver.server.close()
