"""Kill -9 the server while messages are in flight; restart; check nothing is lost or doubled.

    .venv/bin/python -m bench.crash_e2e --messages 10000 [--database-url postgresql://...]

A relaybox server (API + worker + simulator) runs as a subprocess on SQLite (default) or the given
PostgreSQL database. Messages are sent with the test key over 32 connections; after a share of them
is accepted the server is killed with SIGKILL and started again. The run then waits until every
message is terminal and checks:
- every message the client saw accepted exists (nothing accepted is lost);
- every message reached a terminal status;
- the simulated carrier received each message once (duplicate submits = 0);
- the local webhook receiver got each status event (sent, delivered) of every message, counting
  each event id once however often it was delivered.
Prints one JSON line with the counts; exit status 0 when every check holds.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from bench.common import server_env

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Receiver:
    """Counts status webhooks per message, deduplicated by webhook-id."""

    def __init__(self) -> None:
        self.events: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.requests = 0
        self.port = 0

    async def start(self) -> None:
        server = await asyncio.start_server(self.serve, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.server = server

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                headers = {}
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests += 1
                payload = json.loads(body)
                self.events[payload["id"]][payload["status"]].add(headers["webhook-id"])
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


def start_server(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "relaybox.cli", "serve", "--no-migrate"],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def wait_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                if (await client.get(f"{url}/api/v1/ping")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


async def run(
    messages: int,
    database_url: str | None,
    kill_fraction: float = 0.5,
    concurrency: int = 32,
    timeout: float = 1800,
) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT))
    from relaybox import migrate
    from relaybox.storage.database import Database
    from tests.support import make_tenant

    work = Path(tempfile.mkdtemp(prefix="relaybox-crash-"))
    url = database_url or f"sqlite+aiosqlite:///{work / 'relaybox.db'}"
    migrate.upgrade(url)
    db = Database(url)
    tenant = await make_tenant(db, "Crash test")
    await db.close()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = server_env(
        url,
        work,
        port,
        "crash",
        simulator_receipt_seconds="0.2",
        idempotency_lock_seconds="3",
    )
    env["PYTHONPATH"] = str(ROOT)
    receiver = Receiver()
    await receiver.start()
    log = work / "server.log"
    server = start_server(env, log)
    await wait_up(base)
    headers = tenant.headers("admin")
    accepted: set[str] = set()
    lost_responses = 0
    killed_at = None
    async with httpx.AsyncClient(
        base_url=base, timeout=30, limits=httpx.Limits(max_connections=concurrency)
    ) as api:
        r = await api.put(
            f"/v1/projects/{tenant.project_id}/webhooks",
            headers=headers,
            json={"status_url": f"http://127.0.0.1:{receiver.port}/status"},
        )
        r.raise_for_status()
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(messages):
            queue.put_nowait(n)
        kill_after = int(messages * kill_fraction)

        restarted: list[subprocess.Popen[bytes]] = []

        async def restart() -> None:
            await asyncio.to_thread(server.wait)
            restarted.append(start_server(env, log))

        restarting: list[asyncio.Task[None]] = []

        async def sender() -> None:
            nonlocal lost_responses, killed_at
            while not queue.empty():
                n = queue.get_nowait()
                while True:  # a careful client: retry with the same Idempotency-Key
                    try:
                        r = await api.post(
                            f"/v1/projects/{tenant.project_id}/sms/send",
                            headers={**headers, "Idempotency-Key": f"crash-{n}"},
                            json={"to": f"+1555{n:07d}", "body": f"message {n}"},
                        )
                    except httpx.TransportError:
                        lost_responses += 1  # the server is down; this request may have landed
                        await asyncio.sleep(0.5)
                        continue
                    if r.status_code == 201:
                        accepted.add(r.json()["id"])
                        break
                    if r.status_code == 409:  # in flight when the server died: lock must lapse
                        await asyncio.sleep(0.5)
                        continue
                    raise RuntimeError(f"send refused: {r.status_code} {r.text}")
                if killed_at is None and len(accepted) >= kill_after:
                    killed_at = len(accepted)
                    os.killpg(server.pid, signal.SIGKILL)
                    restarting.append(asyncio.create_task(restart()))

        await asyncio.gather(*(sender() for _ in range(concurrency)))
    await asyncio.gather(*restarting)
    try:
        db = Database(url)
        deadline = time.monotonic() + timeout
        while True:
            state = await check(db, accepted)
            delivered_hooks = sum(
                1 for m in receiver.events.values() if {"sent", "delivered"} <= set(m)
            )
            if state["non_terminal"] == 0 and delivered_hooks >= state["messages"]:
                break
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(1)
        await db.close()
    finally:
        for proc in restarted or [server]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(30)
        receiver.server.close()
    report = {
        **state,
        "accepted_seen_by_client": len(accepted),
        "killed_after": killed_at,
        "lost_responses": lost_responses,
        "messages_with_both_webhooks": sum(
            1 for m in receiver.events.values() if {"sent", "delivered"} <= set(m)
        ),
        "webhook_requests": receiver.requests,
        "distinct_webhook_events": sum(
            len(ids) for m in receiver.events.values() for ids in m.values()
        ),
    }
    report["ok"] = (
        report["missing_accepted"] == 0
        and report["non_terminal"] == 0
        and report["duplicate_submits"] == 0
        and report["submitted_once"] == report["messages"]
        and report["messages_with_both_webhooks"] == report["messages"]
    )
    if report["ok"]:
        shutil.rmtree(work, ignore_errors=True)
    else:
        report["workdir"] = str(work)
    return report


async def check(db: Any, accepted: set[str]) -> dict[str, Any]:
    from sqlalchemy import func, select

    from relaybox.carriers.simulator.models import SimMessage
    from relaybox.domain.status import TERMINAL
    from relaybox.messaging.models import Message

    async with db.read() as s:
        rows = (await s.execute(select(Message.id, Message.status))).all()
        sims = (
            await s.execute(
                select(
                    func.count(), func.coalesce(func.sum(SimMessage.duplicate_submits), 0)
                ).where(SimMessage.direction == "mt")
            )
        ).one()
    ids = {r[0] for r in rows}
    statuses: dict[str, int] = defaultdict(int)
    for _, st in rows:
        statuses[st] += 1
    return {
        "messages": len(rows),
        "by_status": dict(statuses),
        "missing_accepted": len(accepted - ids),
        "non_terminal": sum(1 for _, st in rows if st not in TERMINAL),
        "submitted_once": int(sims[0]),
        "duplicate_submits": int(sims[1]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--kill-fraction", type=float, default=0.5)
    args = parser.parse_args()
    report = asyncio.run(run(args.messages, args.database_url, args.kill_fraction))
    print(json.dumps(report))
    sys.exit(0 if report["ok"] else 3)


if __name__ == "__main__":
    main()
