"""One webhook attempt: check the target, POST once, report what happened. No database here.

Requests go through aiohttp (about ten times less CPU per request than httpx measured here; see
docs/benchmarks.md), with a resolver that applies the target policy (``targets``): every address
a name resolves to must be allowed, and the connection is made to exactly those addresses, so a
DNS answer that changes between the check and the connection (rebinding) cannot redirect it.
The URL keeps its name, so TLS sends it as SNI and verifies the certificate for it, and
connections are pooled per name. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

from relaybox import __version__
from relaybox.settings import Settings
from relaybox.webhooks import targets

USER_AGENT = f"relaybox-webhooks/{__version__}"
BODY_LIMIT = 2048


@dataclass(frozen=True)
class Result:
    """What one attempt produced. ``refused`` means the target is not allowed (final)."""

    status_code: int | None = None
    error: str | None = None
    latency_ms: int | None = None
    body: str | None = None
    retry_after: str | None = None
    location: str | None = None
    refused: bool = False


class CheckedResolver(AbstractResolver):
    """Resolves a webhook host and refuses it unless every address is allowed."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        target = targets.Target(url=None, host=host.strip("[]").rstrip(".").lower(), port=port)
        addresses = await targets.resolve(target, self.settings)
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None


def session(settings: Settings) -> aiohttp.ClientSession:
    """The shared client for webhook deliveries (one per process, made in its event loop)."""
    connector = aiohttp.TCPConnector(
        resolver=CheckedResolver(settings),
        limit=256,
        limit_per_host=64,
        ttl_dns_cache=10,
        enable_cleanup_closed=True,
    )
    return aiohttp.ClientSession(
        connector=connector,
        headers={"User-Agent": USER_AGENT},
        auto_decompress=False,
        skip_auto_headers=("Accept-Encoding",),
    )


async def post(
    client: aiohttp.ClientSession,
    settings: Settings,
    url: str,
    headers: dict[str, str],
    body: bytes,
    tls: ssl.SSLContext | None = None,
) -> Result:
    timeout = settings.webhook_timeout_seconds
    try:
        # IP literals never reach the resolver: they are checked here, names in the resolver.
        targets.check_static(url, settings)
    except targets.TargetRefused as exc:
        return Result(error=f"refused: {exc}", refused=True)
    started = time.monotonic()
    options: dict[str, Any] = {"ssl": tls} if tls is not None else {}
    try:
        async with client.post(
            url,
            data=body,
            headers={**headers, "Content-Type": "application/json"},
            allow_redirects=False,
            timeout=aiohttp.ClientTimeout(total=timeout),
            **options,
        ) as response:
            received = await response.content.read(BODY_LIMIT)
            return Result(
                status_code=response.status,
                latency_ms=_ms(started),
                body=received.decode("utf-8", errors="replace"),
                retry_after=response.headers.get("retry-after"),
                location=response.headers.get("location"),
            )
    except targets.TargetRefused as exc:
        return Result(error=f"refused: {exc}", refused=True)
    except targets.ResolveFailed as exc:
        return Result(error=str(exc), latency_ms=_ms(started))
    except TimeoutError:
        return Result(error=f"timed out after {timeout:g} s", latency_ms=_ms(started))
    except aiohttp.ClientConnectorError as exc:
        cause = exc.__cause__ or exc.os_error
        if isinstance(cause, targets.TargetRefused):
            return Result(error=f"refused: {cause}", refused=True)
        if isinstance(cause, targets.ResolveFailed):
            return Result(error=str(cause), latency_ms=_ms(started))
        return Result(error=f"connection error: {exc}"[:500], latency_ms=_ms(started))
    except (aiohttp.ClientError, OSError, asyncio.IncompleteReadError) as exc:
        detail = str(exc) or type(exc).__name__
        return Result(error=f"connection error: {detail}"[:500], latency_ms=_ms(started))


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
