"""Which URLs webhooks may go to (SSRF protection).

Only http(s), no credentials in the URL. Every address the host resolves to must be public:
loopback is allowed only with ``webhook_allow_loopback``, private ranges (RFC 1918, unique local,
CGNAT and other non-global space) only with ``webhook_allow_private``; link-local (cloud metadata
lives there), multicast, reserved and unspecified addresses never. URLs are checked when they are
configured (without DNS: answers change) and again, with DNS, before every attempt; the attempt
then connects to the addresses that were checked (``sender.CheckedResolver``), so a DNS answer
that changes between the check and the connection (rebinding) cannot redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass

import httpx

from relaybox.errors import ValidationFailed
from relaybox.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
MAX_URL_LENGTH = 2000


class TargetRefused(Exception):
    """This URL or address may not receive webhooks (a final failure, never retried)."""


class ResolveFailed(Exception):
    """The host name did not resolve (may be temporary: retried)."""


@dataclass(frozen=True)
class Target:
    url: httpx.URL | None
    host: str  # IDNA (ASCII) host name or IP literal, as resolved
    port: int


def parse(url: str) -> Target:
    """Check a URL's shape; raise TargetRefused with the reason."""
    if len(url) > MAX_URL_LENGTH:
        raise TargetRefused(f"URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise TargetRefused(f"not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise TargetRefused("only http and https URLs can receive webhooks")
    if parsed.userinfo:
        raise TargetRefused("URLs with credentials (user:password@) are not allowed")
    host = parsed.raw_host.decode("ascii").strip("[]").rstrip(".").lower()
    if not host:
        raise TargetRefused("URL has no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return Target(parsed, host, port)


def literal_address(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def address_problem(address: IPAddress, settings: Settings) -> str | None:
    """Why webhooks may not go to ``address`` under ``settings``, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified:
        return f"{address} is an unspecified address"
    if address.is_loopback:
        if settings.webhook_allow_loopback:
            return None
        return f"{address} is a loopback address (RELAYBOX_WEBHOOK_ALLOW_LOOPBACK is off)"
    if address.is_link_local:
        return f"{address} is a link-local address"
    if address.is_multicast:
        return f"{address} is a multicast address"
    if address.is_reserved:
        return f"{address} is a reserved address"
    if address.is_private or not address.is_global:
        if settings.webhook_allow_private:
            return None
        return f"{address} is a private address (RELAYBOX_WEBHOOK_ALLOW_PRIVATE is off)"
    return None


def _is_localhost(host: str) -> bool:
    return host == "localhost" or host.endswith(".localhost")


def check_static(url: str, settings: Settings) -> Target:
    """Everything that can be checked without DNS (configuration time)."""
    target = parse(url)
    address = literal_address(target.host)
    if address is not None:
        problem = address_problem(address, settings)
        if problem:
            raise TargetRefused(problem)
    elif _is_localhost(target.host) and not settings.webhook_allow_loopback:
        raise TargetRefused(
            f"{target.host} is a loopback name (RELAYBOX_WEBHOOK_ALLOW_LOOPBACK is off)"
        )
    return target


def validate(url: str, settings: Settings, field: str) -> str:
    """Configuration-time check for a request field: 422 with details when refused."""
    try:
        check_static(url, settings)
    except TargetRefused as exc:
        raise ValidationFailed.field(field, f"{field} cannot receive webhooks: {exc}") from None
    return url


async def resolve(target: Target, settings: Settings) -> list[IPAddress]:
    """The addresses to connect to, in the resolver's order. Every one must be allowed."""
    address = literal_address(target.host)
    if address is not None:
        candidates = [address]
    else:
        loop = asyncio.get_running_loop()
        try:
            infos = await loop.getaddrinfo(
                target.host, target.port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
            )
        except (socket.gaierror, UnicodeError) as exc:
            raise ResolveFailed(f"cannot resolve {target.host}: {exc}") from None
        candidates = []
        for _family, _type, _proto, _name, sockaddr in infos:
            ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
            if ip not in candidates:
                candidates.append(ip)
        if not candidates:
            raise ResolveFailed(f"{target.host} has no addresses")
    for candidate in candidates:
        problem = address_problem(candidate, settings)
        if problem:
            name = "" if address is not None else f"{target.host} resolves to "
            raise TargetRefused(f"{name}{problem}")
    return candidates
