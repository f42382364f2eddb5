"""One SMPP bind: connect, read what the SMSC sends, and reconnect when the bind drops.

smpp34 runs the protocol (framing, sequence window, enquire_link keep-alive, response timers) in
its Rust core; a bind here owns one ``smpp34.Client``, pulls its inbound events, and on
``Disconnected`` (or a failed bind) reconnects with exponential backoff and full jitter, so a
restarted SMSC does not see every bind of every worker at the same instant.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Literal

import smpp34

from relaybox.carriers.smpp.config import SmppConfig

log = logging.getLogger("relaybox.carriers.smpp")

BindType = Literal["TRX", "TX", "RX"]
State = Literal["connecting", "bound", "down", "stopped"]
BACKOFF_FIRST = 0.2
BACKOFF_MAX = 30.0
CONNECT_TIMEOUT_MS = 5000
# Inbound PDUs smpp34 buffers until Python reads them. submit_sm_resp shares that queue with
# receipts: when a busy server falls behind a burst of receipts, the default capacity fills
# and the core fails the pending submits with ESME_RSYSERR, i.e. outcome unknown, by the
# thousand (seen in bench.smpp_e2e). Receipts are small; buffer generously.
INBOUND_CAPACITY = 100_000

OnDeliver = Callable[[smpp34.DeliverSmEvent], Awaitable[None]]


class NotBound(Exception):
    """The bind has no session: nothing was written."""


def backoff(failures: int) -> float:
    """Full jitter: uniform in [0, min(max, first * 2^n)]."""
    return random.uniform(0, min(BACKOFF_MAX, BACKOFF_FIRST * 2**failures))


class Bind:
    def __init__(
        self, config: SmppConfig, bind_type: BindType, index: int, on_deliver: OnDeliver
    ) -> None:
        self.config = config
        self.bind_type = bind_type
        self.index = index
        self.on_deliver = on_deliver
        self.state: State = "down"
        self.smsc: smpp34.Smsc | None = None
        self.in_flight = 0
        # smpp34 does not queue submits beyond its window: past it they fail (ESME_RSYSERR or
        # no response), which the adapter must treat as outcome unknown. Wait for a slot here.
        self._window = asyncio.Semaphore(config.window)
        self.binds = 0  # successful binds so far (reconnects are binds - 1)
        self.failures = 0  # consecutive failed attempts
        self.last_error: str | None = None
        self._client: smpp34.Client | None = None
        self._task: asyncio.Task[None] | None = None
        self._bound = asyncio.Event()
        self._stopping = False

    @property
    def can_submit(self) -> bool:
        return self.bind_type != "RX" and self.state == "bound"

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"smpp-{self.config.name}-{self.index}")

    async def wait_bound(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._bound.wait(), seconds)
        return self._bound.is_set()

    async def stop(self) -> None:
        self._stopping = True
        self.state = "stopped"
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._close(unbind=True)

    async def _close(self, *, unbind: bool) -> None:
        smsc, client = self.smsc, self._client
        self.smsc, self._client = None, None
        self._bound.clear()
        if smsc is not None and unbind:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(smsc.unbind(), 2)
        if client is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.stop(), 2)

    async def _run(self) -> None:
        while not self._stopping:
            self.state = "connecting"
            try:
                await self._connect()
            except Exception as err:  # refused, timed out, bind rejected
                self.last_error = str(err)
                await self._close(unbind=False)
                self.state = "down"
                self.failures += 1
                delay = backoff(self.failures)
                log.warning(
                    "SMPP %s bind %d failed (%s); retrying in %.1fs",
                    self.config.name,
                    self.index,
                    err,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            self.failures = 0
            try:
                await self._read()
            except Exception as err:  # the session broke in a way smpp34 did not report
                self.last_error = str(err)
                log.exception("SMPP %s bind %d: reading failed", self.config.name, self.index)
            if self._stopping:
                return
            self.state = "down"
            await self._close(unbind=False)
            log.warning("SMPP %s bind %d dropped; reconnecting", self.config.name, self.index)
            await asyncio.sleep(backoff(0))

    async def _connect(self) -> None:
        c = self.config
        self._client = smpp34.Client(
            c.host,
            c.port,
            c.system_id,
            c.password,
            bind_type=self.bind_type,
            system_type=c.system_type,
            window_size=c.window,
            inbound_capacity=INBOUND_CAPACITY,
            connect_timeout_ms=CONNECT_TIMEOUT_MS,
        )
        self.smsc = await self._client.connect()
        self.binds += 1
        self.state = "bound"
        self._bound.set()
        log.info("SMPP %s bind %d bound as %s", c.name, self.index, self.bind_type)

    async def _read(self) -> None:
        assert self.smsc is not None
        while True:
            event = await self.smsc.next()
            if isinstance(event, smpp34.Disconnected):
                self._bound.clear()
                return
            try:
                await self.on_deliver(event)
            except Exception:
                log.exception("SMPP %s: handling a deliver_sm failed", self.config.name)

    async def submit(self, response_timeout: float, **fields: Any) -> smpp34.SubmitSmResp:
        """Write one submit_sm and wait for its response. The caller has checked ``can_submit``;
        a TimeoutError or SmppError from here means the outcome is unknown."""
        async with self._window:  # nothing is written while waiting for a slot
            smsc = self.smsc
            if smsc is None:
                raise NotBound(f"SMPP {self.config.name} bind {self.index} is not bound")
            self.in_flight += 1
            try:
                return await asyncio.wait_for(smsc.submit_sm(**fields), response_timeout)
            finally:
                self.in_flight -= 1

    def health(self) -> dict[str, Any]:
        return {
            "type": self.bind_type,
            "state": self.state,
            "in_flight": self.in_flight,
            "binds": self.binds,
            "last_error": self.last_error,
        }
