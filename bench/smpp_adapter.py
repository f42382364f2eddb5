"""submit_sm/s through the SMPP adapter, one bind, against the SMSC peer in its own process.

    .venv/bin/python -m bench.smpp_adapter [--messages 20000] [--window 64]

The SMSC (tests/peers/smsc.py, receipts off) runs as a separate process, as it would on a real
link. Two runs on the same bind settings: smpp34's raw client (the floor of what Python can push
through this library) and the relaybox adapter (encoding, routing, pacing, id normalisation).
Destinations stay clear of the peer's magic 999x endings. Prints one JSON line: both rates and
the adapter's share of the raw rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from typing import Any

import smpp34

from bench.common import PY, ROOT, free_port
from relaybox.carriers.base import OutboundSms
from relaybox.carriers.smpp.adapter import SmppAdapter
from relaybox.carriers.smpp.config import SmppConfig

SYSTEM_ID, PASSWORD = "bench", "secret"


class NoEvents:
    async def receipt(self, receipt: Any) -> None: ...

    async def inbound(self, message: Any) -> None: ...


async def raw_client(port: int, n: int, window: int) -> float:
    client = smpp34.Client(
        "127.0.0.1", port, SYSTEM_ID, PASSWORD, bind_type="TRX", window_size=window
    )
    smsc = await client.connect()
    gate = asyncio.Semaphore(window)

    async def one(i: int) -> None:
        async with gate:
            resp = await smsc.submit_sm(
                f"1415555{i % 9000:04d}",
                f"raw {i}".encode(),
                source_addr="14155550000",
                source_addr_ton=1,
                source_addr_npi=1,
                dest_addr_ton=1,
                dest_addr_npi=1,
                registered_delivery=1,
            )
            assert resp.is_success

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - started
    await smsc.unbind()
    await client.stop()
    return n / elapsed


async def adapter_run(port: int, n: int, window: int) -> float:
    config = SmppConfig(
        name="bench",
        host="127.0.0.1",
        port=port,
        system_id=SYSTEM_ID,
        password=PASSWORD,
        window=window,
    )
    adapter = SmppAdapter(configs=[config])
    await adapter.start(NoEvents())
    gate = asyncio.Semaphore(window)

    async def one(i: int) -> None:
        async with gate:
            await adapter.submit(
                OutboundSms(
                    message_id=f"sms_bench{i:08d}",
                    to=f"+1415555{i % 9000:04d}",
                    sender="+14155550000",
                    body=f"adapter {i}",
                    encoding="GSM-7",
                    segments=1,
                )
            )

    started = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - started
    await adapter.stop()
    return n / elapsed


async def main(n: int, window: int) -> dict[str, Any]:
    port = free_port()
    peer = subprocess.Popen(
        [
            PY,
            "-m",
            "tests.peers.smsc",
            "--port",
            str(port),
            "--system-id",
            SYSTEM_ID,
            "--password",
            PASSWORD,
            "--receipts",
            "never",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert peer.stdout is not None
        await asyncio.to_thread(peer.stdout.readline)  # {"port": ...} once listening
        await raw_client(port, min(n, 2000), window)  # warm up both sides
        raw = await raw_client(port, n, window)
        adapter = await adapter_run(port, n, window)
    finally:
        peer.terminate()
        peer.wait(10)
    return {
        "bench": "smpp_adapter",
        "messages": n,
        "window": window,
        "binds": 1,
        "raw_submit_sm_per_s": round(raw),
        "adapter_submit_sm_per_s": round(adapter),
        "adapter_to_raw": round(adapter / raw, 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=64)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.messages, args.window))), flush=True)
    sys.exit(0)
