"""The SMPP 3.4 carrier adapter: routes each message to a connection, submits its parts, and turns
deliver_sm into receipts and inbound messages for the messaging service.

At most once: a submit that may have reached an SMSC without an answer raises
SubmitOutcomeUnknown and is never resubmitted. ``recover`` (asked after an attempt that ended
uncleanly, e.g. a crash) answers from the submit journal (journal.py): never started → None
(submit again), answered → the SMSC's ids, started but unanswered → unknown. Without a database
(the adapter alone, as in bench/smpp_adapter.py) it answers from what this process saw.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import smpp34

from relaybox.carriers import registry
from relaybox.carriers.base import (
    CarrierEvents,
    CarrierUnavailable,
    InboundSms,
    OutboundSms,
    Receipt,
    RetryableCarrierError,
    SubmitOutcomeUnknown,
    SubmitResult,
)
from relaybox.carriers.smpp import deliver, routing
from relaybox.carriers.smpp.config import SmppConfig
from relaybox.carriers.smpp.connection import Connection
from relaybox.carriers.smpp.journal import SENDING, Journal

if TYPE_CHECKING:
    from relaybox.runtime import Runtime

NAME = "smpp"
log = logging.getLogger("relaybox.carriers.smpp")
BIND_WAIT = 5.0  # at start, seconds to wait for the binds before taking traffic anyway
RESULTS_KEPT = 100_000  # submit results remembered for recover()
RECEIPT_BATCH = 500


class SmppAdapter:
    name = NAME

    def __init__(
        self,
        runtime: Runtime | None = None,
        configs: list[SmppConfig] | None = None,
        *,
        bind_wait: float = BIND_WAIT,
    ) -> None:
        self.runtime = runtime
        self.configs = configs
        self.bind_wait = bind_wait
        self.connections: list[Connection] = []
        self.events: CarrierEvents | None = None
        self._in_flight: dict[str, int] = {}
        self._results: OrderedDict[str, SubmitResult] = OrderedDict()
        self._receipts: asyncio.Queue[Receipt] = asyncio.Queue()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flusher: asyncio.Task[None] | None = None
        self.journal = Journal(runtime.db) if runtime is not None else None
        self.receipts_seen = 0
        self.inbound_seen = 0

    async def _load(self) -> list[SmppConfig]:
        if self.configs is not None:
            return self.configs
        if self.runtime is None:
            raise RuntimeError("the SMPP adapter needs a runtime or a list of connections")
        from relaybox.carriers import connections

        rt = self.runtime
        async with rt.db.read() as session:
            return await connections.smpp_configs(session, rt.box)

    async def start(self, events: CarrierEvents) -> None:
        self.events = events
        configs = await self._load()
        if not configs:
            log.warning("RELAYBOX_CARRIER=smpp but no SMPP connection is configured")
        if self.journal is not None:
            await self.journal.purge()
        self.connections = [Connection(c, self._on_deliver) for c in configs]
        self._flusher = asyncio.create_task(self._flush_receipts(), name="smpp-receipts")
        await asyncio.gather(*(c.start(self.bind_wait) for c in self.connections))

    async def stop(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.connections))
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        while not self._receipts.empty() and self.events is not None:
            await self._deliver_receipts(self._drain([]))
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
        if self.journal is not None:
            await self.journal.stop()
        self.connections = []

    # -- MT ---------------------------------------------------------------------------------

    async def submit(self, message: OutboundSms) -> SubmitResult:
        route = routing.candidates(self.connections, message.to)
        if not route:
            raise CarrierUnavailable(f"no SMPP connection carries {message.to}")
        if self.journal is not None:
            try:
                await self.journal.sending(message.message_id)
            except Exception as err:  # nothing was written anywhere: safe to try again
                raise CarrierUnavailable(f"could not record the submit: {err}") from err
        self._in_flight[message.message_id] = self._in_flight.get(message.message_id, 0) + 1
        try:
            last: CarrierUnavailable | None = None
            for connection in route:
                try:
                    result = await connection.submit(message)
                except CarrierUnavailable as err:
                    last = err  # nothing was written on this one: try the next
                    continue
                self._remember(message.message_id, result)
                if self.journal is not None:
                    await self._journal_quietly(self.journal.sent(message.message_id, result))
                return result
            assert last is not None
            raise last
        except RetryableCarrierError:
            # Raised only before any part reached an SMSC (a later part's failure is final,
            # CarrierRejected, and keeps the row: its first parts are out there).
            if self.journal is not None:
                await self._journal_quietly(self.journal.clean(message.message_id))
            raise
        finally:
            left = self._in_flight[message.message_id] - 1
            if left:
                self._in_flight[message.message_id] = left
            else:
                del self._in_flight[message.message_id]

    @staticmethod
    async def _journal_quietly(write: Any) -> None:
        """A journal update after the submit: if it fails, the row stays ``sending`` and a
        recovery reports the outcome unknown — never a duplicate."""
        try:
            await write
        except Exception:
            log.exception("SMPP submit journal update failed")

    def _remember(self, message_id: str, result: SubmitResult) -> None:
        self._results[message_id] = result
        if len(self._results) > RESULTS_KEPT:
            self._results.popitem(last=False)

    async def recover(self, message: OutboundSms) -> SubmitResult | None:
        known = self._results.get(message.message_id)
        if known is not None:
            return known
        if message.message_id in self._in_flight:
            raise SubmitOutcomeUnknown("the previous submit of this message is still in flight")
        if self.journal is not None:
            recorded = await self.journal.lookup(message.message_id)
            if recorded is None:
                return None  # no submit of it was ever started
            if recorded != SENDING:
                assert isinstance(recorded, SubmitResult)
                return recorded
        raise SubmitOutcomeUnknown(
            "an earlier attempt may have written this submit to an SMSC; not resubmitting"
        )

    # -- deliver_sm -------------------------------------------------------------------------

    async def _on_deliver(self, connection: Connection, ev: smpp34.DeliverSmEvent) -> None:
        event = deliver.to_event(
            ev,
            deliver.tlv_map(ev.tlvs),
            carrier=NAME,
            config=connection.config,
            canonical=connection.canonical,
        )
        if isinstance(event, Receipt):
            self.receipts_seen += 1
            self._receipts.put_nowait(event)
        elif isinstance(event, InboundSms):
            self.inbound_seen += 1
            task = asyncio.create_task(self._inbound(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        else:
            log.warning("SMPP %s: unreadable receipt %r", connection.name, ev.short_message)

    async def _inbound(self, message: InboundSms) -> None:
        assert self.events is not None
        try:
            await self.events.inbound(message)
        except Exception:
            log.exception("storing an inbound SMPP message failed")

    def _drain(self, batch: list[Receipt]) -> list[Receipt]:
        while len(batch) < RECEIPT_BATCH and not self._receipts.empty():
            batch.append(self._receipts.get_nowait())
        return batch

    async def _flush_receipts(self) -> None:
        """Receipts go to the sink in batches: one transaction for everything that arrived
        while the previous batch was being stored."""
        while True:
            batch = self._drain([await self._receipts.get()])
            await self._deliver_receipts(batch)

    async def _deliver_receipts(self, batch: list[Receipt]) -> None:
        assert self.events is not None
        many = getattr(self.events, "receipts", None)
        try:
            if callable(many):  # the messaging sink stores a batch in one transaction
                await many(batch)
            else:
                for receipt in batch:
                    await self.events.receipt(receipt)
        except Exception:
            log.exception("storing %d SMPP receipts failed", len(batch))

    def health(self) -> dict[str, Any]:
        connections = {c.name: c.health() for c in self.connections}
        up = [h for h in connections.values() if h["status"] == "up"]
        return {
            "status": "up"
            if len(up) == len(connections) and up
            else ("degraded" if up else "down"),
            "connections": connections,
            "in_flight": sum(h["in_flight"] for h in connections.values()),
            "receipts": self.receipts_seen,
            "inbound": self.inbound_seen,
        }


registry.register(NAME, lambda runtime: SmppAdapter(runtime))
