"""A real HTTP/1.1 receiver on loopback that records requests and answers as scripted."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import deque
from dataclasses import dataclass, field


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0  # seconds before answering (a slow receiver)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes


REASONS = {
    200: "OK",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    410: "Gone",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Receiver:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls
        self.sni: list[str | None] = []
        self.requests: list[Received] = []
        self.script: deque[Reply] = deque()
        self.path_scripts: dict[str, deque[Reply]] = {}
        self.default = Reply()
        self.port = 0
        self._server: asyncio.Server | None = None

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    def answer(self, *replies: Reply) -> None:
        """Answer the next requests with these, then with ``default``."""
        self.script.extend(replies)

    def answer_on(self, path: str, *replies: Reply) -> None:
        """Answer the next requests to ``path`` with these (before the general script)."""
        self.path_scripts.setdefault(path, deque()).extend(replies)

    def on(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path]

    async def start(self) -> None:
        if self.tls is not None:
            self.tls.sni_callback = self._record_sni
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]

    def _record_sni(self, _sock: object, name: str | None, _ctx: object) -> None:
        self.sni.append(name)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, path, _version = lines[0].split(" ", 2)
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                self.requests.append(Received(method, path, headers, body))
                own = self.path_scripts.get(path)
                if own:
                    reply = own.popleft()
                else:
                    reply = self.script.popleft() if self.script else self.default
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                out = [
                    f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}",
                    f"Content-Length: {len(reply.body)}",
                ]
                out += [f"{k}: {v}" for k, v in reply.headers.items()]
                writer.write(("\r\n".join(out) + "\r\n\r\n").encode() + reply.body)
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            writer.close()
