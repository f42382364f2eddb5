"""End-to-end benchmark: HTTP accept -> carrier -> receipt -> delivered -> status webhook.

    .venv/bin/python -m bench.e2e [--messages 5000] [--connections 32] [--postgres URL]
                                   [--workers N]

relaybox (`relaybox serve`, API + worker + simulator in one process) on a fresh database — or,
with --workers N on PostgreSQL, `relaybox serve --no-worker` plus N `relaybox worker` processes,
the scaled-out topology of docs/deployment.md; a
local webhook receiver (in this process) is the project's status URL; messages go in over
keep-alive connections with the test key. msgs/s = messages whose `delivered` webhook arrived,
divided by the time from the first send to the last such webhook. Also reports accept rate and
latency, and duplicate submits at the simulated carrier.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from bench import loadgen
from bench.accept import _fresh_pg, _tenant
from bench.common import PY, Process, emit, free_port, server_env, wait_http


class Receiver:
    def __init__(self) -> None:
        self.delivered: dict[str, float] = {}
        self.events: set[str] = set()
        self.requests = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length, event_id = 0, ""
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value)
                    elif name == b"webhook-id":
                        event_id = value.strip().decode()
                body = orjson.loads(await reader.readexactly(length))
                self.requests += 1
                self.events.add(event_id)
                if body.get("status") == "delivered":
                    self.delivered.setdefault(body["id"], time.perf_counter())
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def measure(
    url: str, tenant: Any, messages: int, connections: int, receiver: Receiver, timeout: float
) -> dict[str, Any]:
    host, port = url.removeprefix("http://").split(":")
    path = f"/v1/projects/{tenant.project_id}/sms/send"
    headers = {
        "Authorization": f"Bearer {tenant.token('deploy', 'test')}",
        "Content-Type": "application/json",
    }

    def bodies() -> Any:
        for n in range(messages):
            body = orjson.dumps({"to": f"+1201{2000000 + n:07d}", "body": f"bench {n}"})
            yield loadgen.request("POST", path, body, headers)

    accepted: list[str] = []
    load = await loadgen.run(
        host,
        int(port),
        bodies(),
        connections,
        on_response=lambda b: accepted.append(orjson.loads(b)["id"]),
    )
    deadline = time.monotonic() + timeout
    while len(receiver.delivered) < len(accepted) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    done = [receiver.delivered[m] for m in accepted if m in receiver.delivered]
    elapsed = (max(done) - load.first) if done else float("nan")
    return {
        "messages": messages,
        "accepted": len(accepted),
        "delivered_webhooks": len(done),
        "e2e_mps": round(len(done) / elapsed, 1) if done else 0.0,
        "accept_rps": round(load.sent / (load.last - load.first), 1),
        "accept_p50_ms": round(loadgen.percentile(load.latencies, 50) * 1000, 2),
        "accept_p99_ms": round(loadgen.percentile(load.latencies, 99) * 1000, 2),
        "webhook_requests": receiver.requests,
    }


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="relaybox-e2e-") as tmp:
        work = Path(tmp)
        targets = [("sqlite", f"sqlite+aiosqlite:///{work / 'relaybox.db'}")]
        if args.postgres:
            targets.append(("postgres", await asyncio.to_thread(_fresh_pg, args.postgres)))
        for name, db_url in targets:
            tenant = await asyncio.to_thread(asyncio.run, _tenant(db_url))
            receiver = Receiver()
            hook_port = await receiver.start()
            port = free_port()
            env = server_env(db_url, work, port, simulator_receipt_seconds="0.05")
            split = args.workers > 0 and name == "postgres"
            serve = ["serve", "--no-migrate", *(["--no-worker"] if split else [])]
            server = Process([PY, "-m", "relaybox.cli", *serve], env, work / f"relaybox-{name}.log")
            workers = [
                Process([PY, "-m", "relaybox.cli", "worker"], env, work / f"worker-{name}-{n}.log")
                for n in range(args.workers if split else 0)
            ]
            try:
                base = f"http://127.0.0.1:{port}"
                await asyncio.to_thread(wait_http, f"{base}/api/v1/ping")
                import httpx

                async with httpx.AsyncClient(base_url=base) as api:
                    r = await api.put(
                        f"/v1/projects/{tenant.project_id}/webhooks",
                        headers=tenant.headers("admin"),
                        json={"status_url": f"http://127.0.0.1:{hook_port}/dlr"},
                    )
                    r.raise_for_status()
                cpu = server.cpu_seconds()
                worker_cpu = sum(w.cpu_seconds() for w in workers)
                result = await measure(
                    base, tenant, args.messages, args.connections, receiver, args.timeout
                )
                result["server_cpu_s"] = round(server.cpu_seconds() - cpu, 1)
                if workers:
                    result["workers"] = len(workers)
                    spent = sum(w.cpu_seconds() for w in workers) - worker_cpu
                    result["worker_cpu_s"] = round(spent, 1)
                emit(f"relaybox_e2e_{name}" + (f"_{len(workers)}w" if workers else ""), result)
                if result["delivered_webhooks"] < result["accepted"]:
                    log = (work / f"relaybox-{name}.log").read_text()
                    print(f"--- server log ({name}), last lines ---\n{log[-4000:]}")
            finally:
                for w in workers:
                    w.stop()
                server.stop()
                receiver.server.close()
    print(json.dumps({"connections": args.connections}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--postgres", default=os.environ.get("RELAYBOX_TEST_POSTGRES_URL"))
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--workers", type=int, default=0, help="worker processes (PostgreSQL)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
