"""SMPP end to end, relaybox against Jasmin 0.11.0, same machine, same run, same upstream SMSC.

    .venv/bin/python -m bench.smpp_e2e [--messages 5000] [--jasmin-messages 2000]
        [--connections 32] [--receipt-delay-ms 50] [--skip-relaybox] [--skip-jasmin]
        [--no-tuned]            (make bench-smpp)

One upstream SMSC (tests/peers/smsc.py, its own process) serves both systems in turn:

- relaybox: `relaybox serve` (API + worker) on a fresh SQLite database, live traffic routed to
  the `smpp` adapter bound to the SMSC; messages go in on the native send endpoint with a live
  key over keep-alive connections; a local receiver is the project's status webhook URL.
- Jasmin: the tests' harness (tests/peers/jasmin), stock, then with TCP_NODELAY patched in
  ("tuned", not stock Jasmin); messages go in on its HTTP API `/send` with `dlr-level=3` and a
  `dlr-url` on a local receiver that answers `ACK/Jasmin`.

Per system: accept_rps (accepted / (last response - first send)), e2e_mps (messages whose
delivered notification arrived / (last such arrival - first send)), duplicate submits counted by
the SMSC, and receipt latency p50/p99 (send -> delivered notification). A warm-up precedes each
measured phase. Prints one line per system and the ratios; writes bench/results/smpp_e2e-*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import loadgen
from bench.common import PY, ROOT, Process, emit, free_port

SMSC_ID, SMSC_PASSWORD = "bench", "benchpw"


class Smsc:
    """The upstream SMSC as a separate process, read through its /stats endpoint."""

    def __init__(self, work: Path, receipt_delay_ms: int) -> None:
        self.port, self.stats_port = free_port(), free_port()
        args = [PY, "-m", "tests.peers.smsc", "--port", str(self.port)]
        args += ["--system-id", SMSC_ID, "--password", SMSC_PASSWORD]
        args += ["--receipt-delay-ms", str(receipt_delay_ms), "--stats-port", str(self.stats_port)]
        self.process = Process(args, dict(os.environ), work / "smsc.log")

    def stats(self) -> dict[str, Any]:
        deadline = time.monotonic() + 20
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{self.stats_port}/stats", timeout=5)
                return dict(r.json())
            except httpx.HTTPError:
                if time.monotonic() > deadline or self.process.proc.poll() is not None:
                    raise
                time.sleep(0.1)

    def wait_bound(self, at_least: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.stats().get("bound_sessions", 0) < at_least:
            if time.monotonic() > deadline:
                raise RuntimeError(f"SMSC: fewer than {at_least} bound sessions")
            time.sleep(0.2)


def suffix(i: int) -> str:
    """Five digits for the i-th destination (i < 90000), never ending in 9xxx: the SMSC peer
    picks failure modes (no answer, unbind, ...) by the last four digits 9991-9997."""
    return f"{i // 9000}{i % 9000:04d}"


def percentile_ms(values: list[float], p: float) -> float:
    return round(loadgen.percentile(values, p) * 1000, 1)


def summarize(
    name: str,
    load: loadgen.Load,
    sent_at: dict[str, float],
    delivered_at: dict[str, float],
    smsc_before: dict[str, Any],
    smsc_after: dict[str, Any],
) -> dict[str, Any]:
    done = {m: t for m, t in delivered_at.items() if m in sent_at}
    elapsed = max(done.values()) - load.first if done else float("nan")
    latencies = [t - sent_at[m] for m, t in done.items()]
    return {
        "system": name,
        "sent": load.sent,
        "accepted": len(sent_at),
        "statuses": load.statuses,
        "accept_rps": round(load.sent / (load.last - load.first), 1),
        "accept_p50_ms": percentile_ms(load.latencies, 50),
        "accept_p99_ms": percentile_ms(load.latencies, 99),
        "delivered": len(done),
        "complete": len(done) == len(sent_at) == load.sent,
        "e2e_mps": round(len(done) / elapsed, 1) if done else 0.0,
        "e2e_s": round(elapsed, 2),
        "unique_submits": smsc_after["unique_submits"] - smsc_before["unique_submits"],
        "duplicate_submits": smsc_after["duplicate_submits"] - smsc_before["duplicate_submits"],
        "receipt_p50_ms": percentile_ms(latencies, 50),
        "receipt_p99_ms": percentile_ms(latencies, 99),
    }


async def drain(delivered: dict[str, float], sent_at: dict[str, float], idle: float) -> str:
    """Wait until every accepted message was reported delivered, or nothing moves for `idle` s."""
    last, moved = -1, time.monotonic()
    while True:
        got = sum(1 for m in sent_at if m in delivered)
        if got >= len(sent_at):
            return "complete"
        if got != last:
            last, moved = got, time.monotonic()
        elif time.monotonic() - moved > idle:
            return f"stalled at {got}/{len(sent_at)} for {idle:.0f}s"
        await asyncio.sleep(0.2)


# ---------------------------------------------------------------- Jasmin
class JasminReceiver:
    """Jasmin's dlr-url: records the first terminal (level 2) receipt per message id."""

    def __init__(self) -> None:
        self.delivered: dict[str, float] = {}
        self.callbacks = 0

    async def start(self) -> int:
        self.server = await asyncio.start_server(self.serve, "127.0.0.1", 0, backlog=1024)
        return int(self.server.sockets[0].getsockname()[1])

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    key, _, value = line.partition(b":")
                    if key.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                target = head.split(b" ", 2)[1].decode()
                form = urllib.parse.parse_qs(urllib.parse.urlsplit(target).query)
                form.update(urllib.parse.parse_qs(body.decode(errors="replace")))
                self.callbacks += 1
                level, status = form.get("level", [""])[0], form.get("message_status", [""])[0]
                if level == "2" and status == "DELIVRD":
                    self.delivered.setdefault(form["id"][0], time.perf_counter())
                # Jasmin retries any callback not answered with exactly this body.
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nACK/Jasmin")
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()


async def jasmin_phase(
    jasmin: Any, receiver: JasminReceiver, dlr_url: str, tag: str, n: int, connections: int
) -> tuple[loadgen.Load, dict[str, float]]:
    def requests() -> Any:
        for i in range(n):
            query = urllib.parse.urlencode(
                {
                    "username": jasmin.system_id,
                    "password": jasmin.password,
                    "to": f"3360{tag}{suffix(i)}",
                    "content": f"bench {tag} {i}",
                    "dlr": "yes",
                    "dlr-url": dlr_url,
                    "dlr-level": "3",
                    "dlr-method": "POST",
                }
            )
            yield loadgen.request("GET", f"/send?{query}", b"", {})

    sent_at: dict[str, float] = {}

    def accepted(body: bytes, started: float) -> None:
        if body.startswith(b"Success"):
            sent_at[body.split(b'"')[1].decode()] = started

    load = await loadgen.run(
        "127.0.0.1", jasmin.http_port, requests(), connections, on_timed_response=accepted
    )
    return load, sent_at


def jasmind_cpu(jasmin: Any) -> float:
    fields = Path(f"/proc/{jasmin.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_jasmin(
    args: argparse.Namespace, smsc: Smsc, work: Path, tuned: bool
) -> dict[str, Any]:
    from tests.peers.jasmin.harness import Jasmin, Upstream

    name = "jasmin_tuned" if tuned else "jasmin_stock"
    upstream = Upstream("127.0.0.1", smsc.port, SMSC_ID, SMSC_PASSWORD)
    jasmin = Jasmin(upstream, tcp_nodelay=tuned, workdir=work / name)
    bound = smsc.stats().get("bound_sessions", 0)
    await asyncio.to_thread(jasmin.start)
    receiver = JasminReceiver()
    dlr_url = f"http://127.0.0.1:{await receiver.start()}/dlr"
    try:
        await asyncio.to_thread(smsc.wait_bound, bound + 1)
        tag = f"{int(tuned) + 1}"
        load, sent_at = await jasmin_phase(jasmin, receiver, dlr_url, tag + "0", args.warmup, 8)
        warm = await drain(receiver.delivered, sent_at, args.idle_timeout)
        if not any(m in receiver.delivered for m in sent_at):
            raise RuntimeError(f"{name}: no receipt came back in the warm-up\n{jasmin.logs()}")
        before, cpu = smsc.stats(), jasmind_cpu(jasmin)
        load, sent_at = await jasmin_phase(
            jasmin, receiver, dlr_url, tag + "1", args.jasmin_messages, args.connections
        )
        end = await drain(receiver.delivered, sent_at, args.idle_timeout)
        result = summarize(name, load, sent_at, receiver.delivered, before, smsc.stats())
        result["jasmind_cpu_s"] = round(jasmind_cpu(jasmin) - cpu, 1)
        log = (jasmin.log_dir / "messages.log").read_text(errors="replace")
        result["dlr_lookup_misses"] = log.count("DLRMapNotFound")
        result["drain"] = f"warm-up {warm}; {end}"
        return result
    finally:
        receiver.server.close()
        await asyncio.to_thread(jasmin.stop)


# ---------------------------------------------------------------- main
def machine() -> dict[str, Any]:
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
    }


@contextlib.contextmanager
def work_dir(keep: bool) -> Iterator[str]:
    """A temp dir, removed afterwards unless `keep` (logs and relaybox.db for a post-mortem)."""
    path = tempfile.mkdtemp(prefix="relaybox-smpp-e2e-")
    print(f"work dir: {path}", flush=True)
    try:
        yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)


async def main_async(args: argparse.Namespace) -> None:
    results: dict[str, Any] = {"machine": machine(), "settings": vars(args), "systems": {}}
    with work_dir(args.keep) as tmp:
        work = Path(tmp)
        smsc = Smsc(work, args.receipt_delay_ms)
        try:
            smsc.stats()
            systems = results["systems"]
            if not args.skip_relaybox:
                from bench.smpp_relaybox import run_relaybox

                systems["relaybox"] = await run_relaybox(args, smsc, work)
                emit("relaybox", systems["relaybox"])
            if not args.skip_jasmin:
                systems["jasmin_stock"] = await run_jasmin(args, smsc, work, tuned=False)
                emit("jasmin_stock", systems["jasmin_stock"])
                if args.tuned:
                    systems["jasmin_tuned"] = await run_jasmin(args, smsc, work, tuned=True)
                    emit("jasmin_tuned", systems["jasmin_tuned"])
        finally:
            smsc.process.stop()
            (work / "smsc.log").exists() and print((work / "smsc.log").read_text()[-600:])
    ours = results["systems"].get("relaybox")
    for other in ("jasmin_stock", "jasmin_tuned"):
        theirs = results["systems"].get(other)
        if ours and theirs and theirs["e2e_mps"]:
            ratio = round(ours["e2e_mps"] / theirs["e2e_mps"], 1)
            results[f"ratio_e2e_relaybox_to_{other}"] = ratio
            print(f"ratio e2e_mps relaybox/{other} = {ratio}")
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"smpp_e2e-{datetime.now(UTC).strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"results: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=5000, help="relaybox, measured")
    parser.add_argument("--jasmin-messages", type=int, default=2000, help="Jasmin, measured")
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--receipt-delay-ms", type=int, default=50)
    parser.add_argument("--idle-timeout", type=float, default=45)
    parser.add_argument("--skip-relaybox", action="store_true")
    parser.add_argument("--skip-jasmin", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    parser.add_argument("--no-tuned", dest="tuned", action="store_false")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
