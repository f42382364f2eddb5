"""The session-scoped ``jasmin`` fixture: an upstream Smsc peer with Jasmin in front of it.

Started once per test run (Jasmin takes ~7 s to start, plus ~40 s the first time its venv is
built). The Smsc runs on an event loop of its own in a background thread, because the tests'
loops are per test; ``JasminPeer.run`` hands coroutines (``send_mo``, ``wait_submits``) to it.

Without RabbitMQ or Redis the tests using it skip, saying which is missing — unless
RELAYBOX_REQUIRE_PEERS=1 (CI), where they fail.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import time
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from tests.peers.jasmin import infra
from tests.peers.jasmin.harness import Jasmin, Upstream

T = TypeVar("T")
UPSTREAM_ID, UPSTREAM_PASSWORD = "upstream", "uppw1234"


@dataclass
class JasminPeer:
    jasmin: Jasmin
    smsc: Any  # tests.peers.smsc.Smsc, on `loop`
    loop: asyncio.AbstractEventLoop

    async def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Await a coroutine of the Smsc from a test's own loop."""
        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))


def require_infra() -> None:
    missing = infra.missing()
    if missing:
        message = f"Jasmin needs {' and '.join(missing)}, not reachable on this machine"
        if os.environ.get("RELAYBOX_REQUIRE_PEERS") == "1":
            pytest.fail(message + " (RELAYBOX_REQUIRE_PEERS=1)", pytrace=False)
        pytest.skip(message)


def wait_bound(smsc: Any, gateway: Jasmin, timeout: float = 30) -> None:
    """Jasmin's connector binds in the background after jCli starts it."""
    deadline = time.monotonic() + timeout
    while smsc.stats()["bound_sessions"] < 1:
        if time.monotonic() > deadline:
            raise RuntimeError(f"Jasmin did not bind to the upstream SMSC\n{gateway.logs()}")
        time.sleep(0.1)


@pytest.fixture(scope="session")
def jasmin(request: pytest.FixtureRequest) -> Iterator[JasminPeer]:
    require_infra()
    from tests.peers.smsc import Smsc

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="upstream-smsc", daemon=True)
    thread.start()

    def on_loop(coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)

    # A receipt that reaches Jasmin before it has stored the submit's id mapping waits 10 s
    # for a retry (DLRMapNotFound); 0.5 s keeps the tests clear of that race.
    smsc = Smsc(system_id=UPSTREAM_ID, password=UPSTREAM_PASSWORD, receipt_delay=0.5)
    on_loop(smsc.start())
    gateway = Jasmin(Upstream("127.0.0.1", smsc.port, UPSTREAM_ID, UPSTREAM_PASSWORD))
    try:
        gateway.start()
        wait_bound(smsc, gateway)
        yield JasminPeer(gateway, smsc, loop)
    finally:
        gateway.stop()
        on_loop(smsc.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        if request.session.testsfailed:
            print(f"\nJasmin's config and logs are kept in {gateway.dir}")
        else:
            shutil.rmtree(gateway.dir, ignore_errors=True)
