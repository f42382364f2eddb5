"""A fast SMSC for tests and benchmarks, on smpp34's server: in-process or as its own process.

    async with Smsc(system_id="relaybox", password="secret") as smsc:
        ...  # bind an ESME to 127.0.0.1:smsc.port

    python -m tests.peers.smsc --port 2775 --system-id relaybox --password secret \\
        --receipt-delay-ms 50 [--receipts requested|always|never] [--stats-port 8099]

As a process it prints ``{"port": P, "stats_port": S}`` once listening, serves ``GET /stats``
(and ``POST /reset``) on the stats port when one is given, and prints its stats as JSON on
SIGTERM/SIGINT before exiting.

Behaviour by destination (the last four digits of destination_addr), like Jasmin's simulators:

    ========  ==============================================================================
    ends in   what the SMSC does
    ========  ==============================================================================
    9991      accepts, then the receipt says UNDELIV (err:027, absent subscriber)
    9992      rejects the submit with ESME_RINVDSTADR
    9993      never answers the submit (the ESME's response timer must fire)
    9994      rejects the submit with ESME_RTHROTTLED
    9995      rejects the submit with ESME_RMSGQFUL
    9996      unbinds the session when the submit arrives (no answer)
    9997      answers after 2 seconds (slow), then receipts DELIVRD
    anything  accepts with a decimal message id, then a DELIVRD receipt after receipt_delay
    ========  ==============================================================================

Receipts carry both forms: the text ``id:... sub:001 dlvrd:001 submit date:... done date:...
stat:DELIVRD err:000 text:...`` and the receipted_message_id / message_state TLVs. They go out on
the submitting session when it can receive, else on another receiver of the same system_id,
else they wait until one binds. ``receipts`` chooses when: requested (registered_delivery set),
always, never.

Binds are checked by system_id only: smpp34's Python server does not expose the bind password.
smpp34 1.5.0's server does not match the deliver_sm_resp of a receiver-only bind (bind_receiver)
to its deliver_sm (the ESME does send it: checked on the wire), so receipts on such binds count
in ``receipts_sent`` but not in ``receipts_acked``; transceiver binds count both.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import socket
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import smpp34

from relaybox.domain import encoding

log = logging.getLogger("tests.peers.smsc")
ReceiptMode = Literal["requested", "always", "never"]
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427
STATE = {"DELIVRD": 2, "UNDELIV": 5}
SLOW_SECONDS = 2.0
SENDERS = 4  # tasks routing due receipts to sessions
ACK_WAIT = 10.0  # seconds a receipt waits for its deliver_sm_resp


@dataclass
class Submit:
    system_id: str
    source_addr: str
    source_addr_ton: int
    source_addr_npi: int
    destination_addr: str
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes
    tlvs: dict[int, bytes]
    message_id: str
    received_at: float


@dataclass
class _Receipt:
    system_id: str
    session_id: str
    submit: Submit
    stat: str
    err: str


@dataclass
class _Counters:
    submits: int = 0
    receipts_sent: int = 0
    receipts_acked: int = 0
    first_submit_at: float | None = None
    last_submit_at: float | None = None
    seen: dict[tuple[str, str, bytes], int] = field(default_factory=lambda: defaultdict(int))


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def receipt_text(message_id: str, stat: str, err: str, body: bytes, at: float) -> bytes:
    stamp = datetime.fromtimestamp(at, UTC).strftime("%y%m%d%H%M")
    done = datetime.now(UTC).strftime("%y%m%d%H%M")
    dlvrd = "001" if stat == "DELIVRD" else "000"
    text = body[:20].decode("latin-1")
    return (
        f"id:{message_id} sub:001 dlvrd:{dlvrd} submit date:{stamp} done date:{done} "
        f"stat:{stat} err:{err} text:{text}"
    ).encode("latin-1")


class Smsc:
    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        system_id: str = "relaybox",
        password: str = "secret",
        receipt_delay: float = 0.05,
        receipts: ReceiptMode = "requested",
    ) -> None:
        self.host = host
        self.port = port
        self.system_id = system_id
        self.password = password
        self.receipt_delay = receipt_delay
        self.receipts = receipts
        self.submits: list[Submit] = []
        self.sessions: dict[str, smpp34.Esme] = {}
        self._c = _Counters()
        self._server: smpp34.Server | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._senders: list[asyncio.Task[None]] = []
        self._outbox: asyncio.Queue[_Receipt] = asyncio.Queue()
        self._waiting: dict[str, deque[_Receipt]] = defaultdict(deque)  # no receiver bound yet
        self._held: list[smpp34.SubmitSmEvent] = []  # never answered, on purpose
        self._tasks: set[asyncio.Task[Any]] = set()
        self._next_id = int(time.time() * 1000) % 10**9 * 1000
        self._changed = asyncio.Condition()

    async def __aenter__(self) -> Smsc:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        if not self.port:
            self.port = free_port(self.host)
        self._server = smpp34.Server(self.host, self.port, system_id="SMSC")
        await self._server.start()
        self._loop_task = asyncio.create_task(self._serve())
        self._senders = [asyncio.create_task(self._send_receipts()) for _ in range(SENDERS)]

    async def stop(self) -> None:
        """Unbind every session (smpp34's server.stop() only closes the listener), then stop."""
        for task in [self._loop_task, *self._senders, *self._tasks]:
            if task is not None:
                task.cancel()
        for esme in list(self.sessions.values()):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(esme.unbind(), 2)
        self.sessions.clear()
        self._held.clear()
        if self._server is not None:
            await self._server.stop()
            self._server = None

    # -- the server loop --------------------------------------------------------------------

    async def _serve(self) -> None:
        assert self._server is not None
        while True:
            ev = await self._server.next()
            try:
                if isinstance(ev, smpp34.SubmitSmEvent):
                    self._on_submit(ev)
                elif isinstance(ev, smpp34.Esme):
                    await self._on_bind(ev)
                elif isinstance(ev, smpp34.Unbound):
                    self.sessions.pop(ev.session_id, None)
            except Exception:
                log.exception("SMSC peer: handling %r failed", ev)

    async def _on_bind(self, esme: smpp34.Esme) -> None:
        if esme.system_id != self.system_id:
            await esme.unbind()
            return
        self.sessions[esme.session_id] = esme
        if esme.can_receive:
            waiting = self._waiting.pop(esme.system_id, deque())
            for r in waiting:
                r.session_id = esme.session_id
                self._outbox.put_nowait(r)

    def _new_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)

    def _spawn(self, awaitable: Any) -> None:
        task = asyncio.ensure_future(awaitable)  # smpp34's calls return futures, not coroutines
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _on_submit(self, ev: smpp34.SubmitSmEvent) -> None:
        esme = self.sessions.get(ev.session_id)
        now = time.time()
        suffix = ev.destination_addr[-4:]
        submit = Submit(
            system_id=esme.system_id if esme else "",
            source_addr=ev.source_addr,
            source_addr_ton=ev.source_addr_ton,
            source_addr_npi=ev.source_addr_npi,
            destination_addr=ev.destination_addr,
            esm_class=ev.esm_class,
            data_coding=ev.data_coding,
            registered_delivery=ev.registered_delivery,
            short_message=ev.short_message,
            tlvs={t.tag: t.value for t in ev.tlvs},
            message_id="",
            received_at=now,
        )
        c = self._c
        c.submits += 1
        c.first_submit_at = c.first_submit_at or now
        c.last_submit_at = now
        c.seen[(submit.source_addr, submit.destination_addr, submit.short_message)] += 1
        self.submits.append(submit)
        self._spawn(self._notify())
        if suffix == "9992":
            ev.reject(smpp34.ESME_RINVDSTADR)
        elif suffix == "9994":
            ev.reject(smpp34.ESME_RTHROTTLED)
        elif suffix == "9995":
            ev.reject(smpp34.ESME_RMSGQFUL)
        elif suffix == "9993":
            self._held.append(ev)
        elif suffix == "9996":
            self._held.append(ev)
            if esme is not None:
                self._spawn(esme.unbind())
        elif suffix == "9997":
            self._spawn(self._answer_later(ev, submit))
        else:
            self._accept(ev, submit, "UNDELIV" if suffix == "9991" else "DELIVRD")

    async def _answer_later(self, ev: smpp34.SubmitSmEvent, submit: Submit) -> None:
        await asyncio.sleep(SLOW_SECONDS)
        self._accept(ev, submit, "DELIVRD")

    def _accept(self, ev: smpp34.SubmitSmEvent, submit: Submit, stat: str) -> None:
        submit.message_id = self._new_id()
        ev.accept(submit.message_id)
        wanted = self.receipts == "always" or (
            self.receipts == "requested" and submit.registered_delivery & 0x03
        )
        if wanted:
            err = "027" if stat == "UNDELIV" else "000"
            r = _Receipt(submit.system_id, ev.session_id, submit, stat, err)
            asyncio.get_running_loop().call_later(self.receipt_delay, self._outbox.put_nowait, r)

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    # -- receipts and MO --------------------------------------------------------------------

    def _receiver(self, system_id: str, preferred: str | None = None) -> smpp34.Esme | None:
        esme = self.sessions.get(preferred) if preferred else None
        if esme is not None and esme.can_receive:
            return esme
        return next(
            (e for e in self.sessions.values() if e.system_id == system_id and e.can_receive),
            None,
        )

    async def _send_receipts(self) -> None:
        while True:
            r = await self._outbox.get()
            esme = self._receiver(r.system_id, r.session_id)
            if esme is None:
                self._waiting[r.system_id].append(r)
                continue
            self._c.receipts_sent += 1
            # not awaited here: a receipt waiting for its deliver_sm_resp must not hold up others
            self._spawn(self._deliver_receipt(esme, r))

    async def _deliver_receipt(self, esme: smpp34.Esme, r: _Receipt) -> None:
        s = r.submit
        text = receipt_text(s.message_id, r.stat, r.err, s.short_message, s.received_at)
        tlvs = [
            smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, s.message_id.encode() + b"\x00"),
            smpp34.Tlv(TLV_MESSAGE_STATE, bytes((STATE[r.stat],))),
        ]
        try:
            resp = await asyncio.wait_for(
                esme.deliver_sm(
                    s.source_addr,
                    text,
                    source_addr=s.destination_addr,
                    source_addr_ton=1,
                    source_addr_npi=1,
                    dest_addr_ton=s.source_addr_ton,
                    dest_addr_npi=s.source_addr_npi,
                    esm_class=0x04,
                    tlvs=tlvs,
                ),
                ACK_WAIT,
            )
        except TimeoutError:
            return  # sent but never acknowledged (see the module docstring); not resent
        except smpp34.SmppError:
            self._c.receipts_sent -= 1
            self._waiting[r.system_id].append(r)  # the session went away: send it later
            return
        if resp.is_success:
            self._c.receipts_acked += 1

    async def send_mo(
        self,
        source: str,
        destination: str,
        text: str,
        *,
        data_coding: int = 0,
        udh: bytes | None = None,
        tlvs: dict[int, bytes] | None = None,
        system_id: str | None = None,
        packed: bool = False,
    ) -> None:
        """A handset's message to an ESME: deliver_sm without the receipt bit. ``udh`` (with its
        length octet) makes it one part of a concatenated message."""
        esme = self._receiver(system_id or self.system_id)
        if esme is None:
            raise RuntimeError(f"no receiver bound for {system_id or self.system_id}")
        if data_coding == 8:
            payload = encoding.encode_ucs2(text)
        elif data_coding == 3:
            payload = text.encode("latin-1")
        elif packed:
            fill = (7 - (len(udh) * 8) % 7) % 7 if udh else 0
            payload = encoding.pack_septets(encoding.encode_gsm7(text), fill)
        else:
            payload = encoding.encode_gsm7(text)
        resp = await esme.deliver_sm(
            destination.lstrip("+"),
            (udh or b"") + payload,
            source_addr=source.lstrip("+"),
            source_addr_ton=1 if source.startswith("+") else 0,
            source_addr_npi=1 if source.startswith("+") else 0,
            dest_addr_ton=1 if destination.startswith("+") else 0,
            dest_addr_npi=1 if destination.startswith("+") else 0,
            esm_class=0x40 if udh else 0,
            data_coding=data_coding,
            tlvs=[smpp34.Tlv(tag, value) for tag, value in (tlvs or {}).items()],
        )
        if not resp.is_success:
            raise RuntimeError(f"deliver_sm refused: {resp.command_status:#x}")

    # -- for tests --------------------------------------------------------------------------

    async def wait_submits(self, n: int, timeout: float = 10) -> None:
        """Until at least ``n`` submits have arrived (since the last reset)."""
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(lambda: self._c.submits >= n)

    async def wait_bound(self, n: int = 1, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while len(self.sessions) < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.sessions)} of {n} sessions bound")
            await asyncio.sleep(0.01)

    def stats(self) -> dict[str, Any]:
        c = self._c
        return {
            "submits": c.submits,
            "unique_submits": len(c.seen),
            "duplicate_submits": sum(n - 1 for n in c.seen.values()),
            "receipts_sent": c.receipts_sent,
            "receipts_acked": c.receipts_acked,
            "bound_sessions": len(self.sessions),
            "first_submit_at": c.first_submit_at,
            "last_submit_at": c.last_submit_at,
        }

    def reset(self) -> None:
        self.submits.clear()
        self._c = _Counters()


# -- as a process -------------------------------------------------------------------------------


async def _stats_server(smsc: Smsc, port: int) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = (await reader.readline()).decode("latin-1").split()
            while (await reader.readline()).strip():
                pass
            method, path = [*request, "", ""][:2]
            if method == "POST" and path == "/reset":
                smsc.reset()
            if path in ("/stats", "/reset"):
                body, code = json.dumps(smsc.stats()).encode(), "200 OK"
            else:
                body, code = b'{"error": "not found"}', "404 Not Found"
            writer.write(
                f"HTTP/1.1 {code}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )
            await writer.drain()
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", port)


async def _main(args: argparse.Namespace) -> None:
    smsc = Smsc(
        host=args.host,
        port=args.port,
        system_id=args.system_id,
        password=args.password,
        receipt_delay=args.receipt_delay_ms / 1000,
        receipts=args.receipts,
    )
    await smsc.start()
    http = await _stats_server(smsc, args.stats_port) if args.stats_port is not None else None
    stats_port = http.sockets[0].getsockname()[1] if http else None
    print(json.dumps({"port": smsc.port, "stats_port": stats_port}), flush=True)
    done = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, done.set)
    await done.wait()
    print(json.dumps(smsc.stats()), flush=True)
    if http is not None:
        http.close()
    await smsc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="A fast SMPP 3.4 SMSC for tests and benchmarks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2775)
    parser.add_argument("--system-id", default="relaybox")
    parser.add_argument("--password", default="secret")
    parser.add_argument("--receipt-delay-ms", type=float, default=50)
    parser.add_argument("--receipts", choices=["requested", "always", "never"], default="requested")
    parser.add_argument("--stats-port", type=int, default=None)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
