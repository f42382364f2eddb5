"""A small keep-alive HTTP/1.1 load generator on asyncio streams (bench only).

httpx costs more CPU per request than the servers under test; this sends pre-built requests
over C persistent connections and reads Content-Length responses.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field


@dataclass
class Load:
    sent: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    first: float = 0.0
    last: float = 0.0
    bodies: list[bytes] = field(default_factory=list)


def request(method: str, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


async def run(
    host: str,
    port: int,
    requests: Iterator[bytes],
    connections: int,
    keep_bodies: bool = False,
    on_response: Callable[[bytes], None] | None = None,
    on_timed_response: Callable[[bytes, float], None] | None = None,
) -> Load:
    """on_timed_response gets each body with its request's perf_counter send time."""
    load = Load()
    lock = asyncio.Lock()

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while True:
                async with lock:
                    try:
                        raw = next(requests)
                    except StopIteration:
                        return
                started = time.perf_counter()
                load.first = load.first or started
                writer.write(raw)
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.split(b"\r\n")
                status = int(lines[0].split()[1])
                length, chunked = 0, False
                for line in lines[1:]:
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                    elif line.lower() == b"transfer-encoding: chunked":
                        chunked = True
                body = await (read_chunked(reader) if chunked else reader.readexactly(length))
                done = time.perf_counter()
                load.sent += 1
                load.last = done
                load.latencies.append(done - started)
                load.statuses[status] = load.statuses.get(status, 0) + 1
                if keep_bodies:
                    load.bodies.append(body)
                if on_response is not None:
                    on_response(body)
                if on_timed_response is not None:
                    on_timed_response(body, started)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(connections)))
    return load


async def read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A chunked body (Twisted, e.g. Jasmin's HTTP API, answers that way), no trailers."""
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)
    await reader.readuntil(b"\r\n")
    return b"".join(parts)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]
