"""kill -9 of a relaybox server while SMPP submits are in flight: after the restart the SMSC has
received every message at most once, and every message ends final or sent.

The SMSC peer runs in the test process; relaybox runs as a real process (API + worker) with
RELAYBOX_CARRIER=smpp. Half the messages go to the peer's slow destination (answer after 2 s), so
submits are certainly in flight when the process dies; those end failed with the unknown-outcome
code rather than being sent twice. Submits the SMSC answered before the kill are recovered from the
submit journal (carriers/smpp/journal.py) and end delivered.
"""

from __future__ import annotations

import asyncio
import os
import signal
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bench.crash_e2e import ROOT, free_port, start_server, wait_up
from relaybox import migrate
from relaybox.carriers import connections
from relaybox.carriers.smpp.config import SmppConfig
from relaybox.crypto import SecretBox
from relaybox.messaging.models import Message
from relaybox.numbers.models import PhoneNumber
from relaybox.runtime import Runtime
from tests.conftest import TABLES, _pg_admin, make_settings
from tests.numbers.support import credit, held_number
from tests.peers.smsc import Smsc
from tests.support import make_tenant

pytestmark = pytest.mark.slow
MESSAGES = 60
SETTLED = {"sent", "delivered", "undelivered", "failed", "expired", "rejected"}


async def test_kill_9_with_submits_in_flight(backend: str, postgres_url: str | None) -> None:
    work = Path(tempfile.mkdtemp(prefix="relaybox-smpp-crash-"))
    if backend == "postgres":
        if postgres_url is None:
            pytest.skip("PostgreSQL: set RELAYBOX_TEST_POSTGRES_URL to run (CI always does)")
        await asyncio.to_thread(
            _pg_admin, f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE", postgres_url
        )
        url = postgres_url
    else:
        url = f"sqlite+aiosqlite:///{work / 'relaybox.db'}"
        await asyncio.to_thread(migrate.upgrade, url)

    async with Smsc(receipt_delay=0.05) as smsc:
        rt = Runtime(make_settings(url, work, secret_key="crash"))
        try:
            tenant = await make_tenant(rt.db, "SMPP crash")
            await credit(rt, tenant.account_id, 100_000_000)
            number_id = await held_number(rt, tenant, project_id=tenant.project_id)
            config = SmppConfig(
                name="peer",
                host="127.0.0.1",
                port=smsc.port,
                system_id=smsc.system_id,
                password=smsc.password,
                response_timeout=3,
            )

            async def setup(s: AsyncSession) -> str:
                await connections.add_smpp(s, SecretBox("crash"), config)
                number = await s.get(PhoneNumber, number_id)
                assert number is not None
                return number.e164

            sender = await rt.db.write(setup)
        finally:
            await rt.db.close()

        port = free_port()
        env = {
            **os.environ,
            "RELAYBOX_DATABASE_URL": url,
            "RELAYBOX_DATA_DIR": str(work),
            "RELAYBOX_PORT": str(port),
            "RELAYBOX_DEMO": "false",
            "RELAYBOX_SECRET_KEY": "crash",
            "RELAYBOX_CARRIER": "smpp",
            "RELAYBOX_JOB_LEASE_SECONDS": "4",
            "RELAYBOX_ACCESS_LOG": "false",
            "RELAYBOX_LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        log = work / "server.log"
        server = start_server(env, log)
        base = f"http://127.0.0.1:{port}"
        try:
            await wait_up(base)
            ids: list[str] = []
            async with httpx.AsyncClient(base_url=base, timeout=30) as api:
                for n in range(MESSAGES):
                    to = f"+14152{n:02d}9997" if n % 2 else f"+1415555{n:04d}"
                    r = await api.post(
                        f"/v1/projects/{tenant.project_id}/sms/send",
                        headers=tenant.headers("deploy", "live"),
                        json={"to": to, "from": sender, "body": f"crash test {n}"},
                    )
                    assert r.status_code == 201, r.text
                    ids.append(r.json()["id"])
            await smsc.wait_submits(MESSAGES // 3, timeout=30)
            os.killpg(server.pid, signal.SIGKILL)
            await asyncio.to_thread(server.wait)
            in_flight_at_kill = smsc.stats()["submits"]
            server = start_server(env, log)
            await wait_up(base)

            rt = Runtime(make_settings(url, work, secret_key="crash"))
            try:
                deadline = time.monotonic() + 60
                while True:
                    async with rt.db.read() as s:
                        rows = (
                            await s.execute(select(Message.id, Message.status, Message.error_code))
                        ).all()
                    statuses = {r.id: r.status for r in rows}
                    if all(statuses.get(i) in SETTLED for i in ids):
                        break
                    assert time.monotonic() < deadline, (statuses, log.read_text()[-3000:])
                    await asyncio.sleep(0.25)
            finally:
                await rt.db.close()
        finally:
            os.killpg(server.pid, signal.SIGKILL)
            await asyncio.to_thread(server.wait)

        stats = smsc.stats()
        assert stats["duplicate_submits"] == 0, stats
        assert stats["submits"] <= MESSAGES, stats
        assert in_flight_at_kill < MESSAGES  # the kill really landed mid-stream
        received = Counter(x.short_message.decode() for x in smsc.submits)
        by_id = {r.id: r for r in rows}
        outcomes: Counter[str] = Counter()
        for n, message_id in enumerate(ids):
            row, copies = by_id[message_id], received[f"crash test {n}"]
            assert copies <= 1
            if row.status in ("sent", "delivered"):
                assert copies == 1, row  # reported handed off: the SMSC has it
            else:
                assert (row.status, row.error_code) == ("failed", 30008), row  # outcome unknown
            outcomes[row.status] += 1
        assert outcomes["failed"] > 0  # some submits really were cut off by the kill
        # The submit journal: a message the SMSC answered before the kill is recovered with its
        # ids, not failed (without it nearly every submitted message failed). Happy destinations
        # are answered at once; only those caught between writing and the journal's commit of
        # the answer may end unknown — a few, never most.
        happy_failed = [i for n, i in enumerate(ids) if n % 2 == 0 and by_id[i].status == "failed"]
        assert len(happy_failed) <= MESSAGES // 6, (outcomes, happy_failed)
