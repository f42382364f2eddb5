"""Authentication: Bearer (specs 000-002), HTTP Basic key-id:secret (003), AccessKey (004).

Missing, malformed, unknown, revoked or expired → 401. Scope, IP and suspension → 403.
Key lookups are cached for ``auth_cache_seconds``; a revocation in this process clears the
cache at once, other processes see it within that time.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import ipaddress
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from relaybox import clock
from relaybox.accounts import keys
from relaybox.accounts.models import SUSPENDED
from relaybox.accounts.principal import Principal
from relaybox.accounts.service import find_key
from relaybox.errors import AccountSuspended, IpNotAllowed, KeyInactive, Unauthorized

if TYPE_CHECKING:
    from starlette.requests import Request

    from relaybox.runtime import Runtime


@dataclass(frozen=True, slots=True)
class KeyRecord:
    principal: Principal
    account_status: str | None
    expires_at: datetime | None
    revoked_at: datetime | None
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


class KeyCache:
    """Key lookups by secret hash, cached for ``ttl`` seconds.

    One lookup per key at a time (concurrent misses share it), and an entry past its TTL is
    served while its refresh runs, for at most another TTL. Revocation in this process clears
    the cache at once; other processes see it within 2 x TTL.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, KeyRecord | None]] = {}
        self._inflight: dict[str, asyncio.Task[KeyRecord | None]] = {}

    async def get(
        self, digest: str, load: Callable[[], Awaitable[KeyRecord | None]]
    ) -> KeyRecord | None:
        now = time.monotonic()
        entry = self._entries.get(digest)
        if entry is not None and now < entry[0]:
            return entry[1]
        task = self._inflight.get(digest)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._refresh(digest, load))
            self._inflight[digest] = task
        if entry is not None and now < entry[0] + self.ttl:
            return entry[1]  # stale but recent: serve it while the refresh runs
        return await asyncio.shield(task)

    async def _refresh(
        self, digest: str, load: Callable[[], Awaitable[KeyRecord | None]]
    ) -> KeyRecord | None:
        try:
            record = await load()
            if len(self._entries) > 50_000:
                self._entries.clear()
            self._entries[digest] = (time.monotonic() + self.ttl, record)
            return record
        finally:
            self._inflight.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()


def credentials(header: str | None) -> tuple[str, str | None]:
    """(token, basic username) from an Authorization header, or 401."""
    if not header:
        raise Unauthorized("Authentication required: send an API key in the Authorization header.")
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    scheme = scheme.lower()
    if scheme in ("bearer", "accesskey") and value:
        return value, None
    if scheme == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Unauthorized("Malformed Basic credentials.") from None
        username, sep, password = decoded.partition(":")
        if not sep or not password:
            raise Unauthorized("Basic credentials must be <key id>:<secret>.")
        return password, username
    raise Unauthorized("Unsupported Authorization scheme; use Bearer, Basic or AccessKey.")


async def load_record(runtime: Runtime, token: str) -> KeyRecord | None:
    async def load() -> KeyRecord | None:
        return await _load(runtime, token)

    if runtime.keys.ttl <= 0:
        return await load()
    return await runtime.keys.get(keys.hash_token(token), load)


async def _load(runtime: Runtime, token: str) -> KeyRecord | None:
    async with runtime.db.read() as session:
        found = await find_key(session, token)
    if found is None:
        return None
    key, account = found
    return KeyRecord(
        principal=Principal(
            key_id=key.id,
            account_id=key.account_id,
            sub_account_id=key.sub_account_id,
            project_id=key.project_id,
            scope=key.scope,
            mode=key.mode,
            rate_limit_per_minute=key.rate_limit_per_minute,
            geo_permissions=tuple(account.geo_permissions)
            if account and account.geo_permissions is not None
            else None,
        ),
        account_status=account.status if account else None,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        networks=tuple(ipaddress.ip_network(c, strict=False) for c in key.allowed_cidrs or ()),
    )


async def authenticate(request: Request, runtime: Runtime) -> Principal:
    token, username = credentials(request.headers.get("authorization"))
    if keys.token_mode(token) is None or len(token) > 200:
        raise Unauthorized("Malformed API key.")
    record = await load_record(runtime, token)
    if record is None:
        raise Unauthorized("Unknown API key.")
    if username is not None and not keys.same(username, record.principal.key_id):
        raise Unauthorized("The key id does not match the secret.")
    now = clock.now()
    if record.revoked_at is not None or (
        record.expires_at is not None and record.expires_at <= now
    ):
        raise KeyInactive()
    if record.account_status == SUSPENDED:
        raise AccountSuspended()
    if record.networks:
        client = request.client.host if request.client else ""
        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            raise IpNotAllowed() from None
        if not any(address in net for net in record.networks):
            raise IpNotAllowed()
    return record.principal
