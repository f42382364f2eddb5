"""API key secrets: generated once, shown once, stored as SHA-256, compared in constant time.

A token is ``sk_<mode>_<40 random base62 chars>`` (238 bits), so a fast hash is the right tool:
nothing is gained from a slow KDF on a secret nobody can guess.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

SCOPES = ("read", "deploy", "admin", "operator")
MODES = ("live", "test")
_ALPHABET = string.ascii_letters + string.digits


def generate_token(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown key mode {mode!r}")
    return f"sk_{mode}_" + "".join(secrets.choice(_ALPHABET) for _ in range(40))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_mode(token: str) -> str | None:
    for mode in MODES:
        if token.startswith(f"sk_{mode}_") and len(token) > len(mode) + 4:
            return mode
    return None


def hint(token: str) -> str:
    return f"{token[:8]}…{token[-4:]}"


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def scope_allows(have: str, need: str) -> bool:
    return SCOPES.index(have) >= SCOPES.index(need)
