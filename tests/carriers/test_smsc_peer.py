"""The SMSC peer itself, as other engineers use it: a separate process with a stats port, and
receipts routed to a receiver session (or queued until one binds)."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys

import httpx
import smpp34

from bench.common import ROOT, free_port
from relaybox.carriers.smpp.adapter import SmppAdapter
from tests.carriers.smpp_support import Recorder, config_for, outbound
from tests.peers.smsc import Smsc


async def test_as_a_process_with_stats() -> None:
    port, stats_port = free_port(), free_port()
    peer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.peers.smsc",
            "--port",
            str(port),
            "--system-id",
            "x",
            "--password",
            "y",
            "--receipt-delay-ms",
            "10",
            "--stats-port",
            str(stats_port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert peer.stdout is not None
        ready = json.loads(await asyncio.to_thread(peer.stdout.readline))
        assert ready == {"port": port, "stats_port": stats_port}
        client = smpp34.Client("127.0.0.1", port, "x", "y", bind_type="TRX")
        smsc = await client.connect()
        for body in (b"one", b"two", b"two"):
            resp = await smsc.submit_sm("14155550100", body, registered_delivery=1)
            assert resp.is_success and resp.message_id and resp.message_id.isdigit()
        receipt = await asyncio.wait_for(smsc.next(), 5)
        assert isinstance(receipt, smpp34.DeliverSmEvent) and receipt.esm_class == 0x04
        assert b"stat:DELIVRD" in receipt.short_message
        async with httpx.AsyncClient() as http:
            stats = (await http.get(f"http://127.0.0.1:{stats_port}/stats")).json()
        assert (stats["submits"], stats["unique_submits"], stats["duplicate_submits"]) == (3, 2, 1)
        assert stats["bound_sessions"] == 1
        await smsc.unbind()
        await client.stop()
    finally:
        peer.send_signal(signal.SIGTERM)
        out, _ = await asyncio.to_thread(peer.communicate, timeout=10)
    assert json.loads(out.strip().splitlines()[-1])["submits"] == 3


async def test_receipts_go_to_a_receiver_bind_or_wait_for_one() -> None:
    async with Smsc(receipt_delay=0.01) as peer:
        pair = SmppAdapter(configs=[config_for(peer, "pair", bind_mode="transmitter+receiver")])
        events = Recorder()
        await pair.start(events)
        try:
            sent = await pair.submit(outbound("to the receiver"))
            await events.wait(receipts=1)
            assert events.receipts[0].carrier_message_id == sent.carrier_message_id
        finally:
            await pair.stop()

    async with Smsc(receipt_delay=0.01) as peer:
        tx = smpp34.Client("127.0.0.1", peer.port, peer.system_id, "", bind_type="TX")
        session = await tx.connect()
        resp = await session.submit_sm("14155550100", b"queued", registered_delivery=1)
        await asyncio.sleep(0.1)  # the receipt is due, but nobody can receive it
        assert peer.stats()["receipts_sent"] == 0, peer.stats()
        rx = smpp34.Client("127.0.0.1", peer.port, peer.system_id, "", bind_type="RX")
        receiver = await rx.connect()
        receipt = await asyncio.wait_for(receiver.next(), 5)
        assert isinstance(receipt, smpp34.DeliverSmEvent)
        assert f"id:{resp.message_id} ".encode() in receipt.short_message
        for s, c in ((session, tx), (receiver, rx)):
            await s.unbind()
            await c.stop()
