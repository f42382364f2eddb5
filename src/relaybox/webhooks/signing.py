"""Signing webhook requests: spec 001's X-Signature and Standard Webhooks, with one secret.

- ``X-Signature: t=<unix>,v1=<hex>`` where hex = HMAC-SHA256(key = the secret string as UTF-8,
  message = ``"<t>.<raw body>"``) — Stripe's scheme, which spec 001 copies.
- ``webhook-id``, ``webhook-timestamp``, ``webhook-signature: v1,<base64>`` where base64 =
  HMAC-SHA256(key, ``"<id>.<timestamp>.<raw body>"``) — Standard Webhooks. The key is the
  base64-decoded part of a ``whsec_…`` secret (what the ``standardwebhooks`` library does), or,
  for a customer-chosen key without that prefix (spec 004's ``signingKey``), its UTF-8 bytes.

During a secret rotation every secret in ``secrets`` signs: X-Signature carries one ``v1=`` entry
and webhook-signature one space-separated ``v1,`` entry per secret, newest first.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random_secrets
from collections.abc import Sequence

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A Standard Webhooks secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(SECRET_BYTES)).decode()


def secret_problem(secret: str) -> str | None:
    """Why a customer-supplied signing key cannot be used, or None."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return "a key starting with whsec_ must continue with base64"
    if len(key) < 16:
        return "a whsec_ key must hold at least 16 bytes"
    return None


def standard_key(secret: str) -> bytes:
    """The HMAC key Standard Webhooks uses for ``secret``."""
    if secret.startswith(SECRET_PREFIX):
        raw = secret[len(SECRET_PREFIX) :]
        return base64.b64decode(raw + "=" * (-len(raw) % 4))
    return secret.encode()


def standard_signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    message = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(standard_key(secret), message, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def x_signature_entry(secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_headers(
    secrets: Sequence[str], event_id: str, timestamp: int, body: bytes
) -> dict[str, str]:
    """The four signature headers for one request."""
    if not secrets:
        raise ValueError("at least one secret is needed to sign")
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(
            standard_signature(s, event_id, timestamp, body) for s in secrets
        ),
        "X-Signature": f"t={timestamp},"
        + ",".join(x_signature_entry(s, timestamp, body) for s in secrets),
    }
