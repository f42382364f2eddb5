"""Prefixed, time-sortable identifiers: ``sms_<uuid7 hex>``.

The hex part is a UUIDv7, so surfaces that want UUIDs (spec 004) show the same id as a UUID.
Ids identify, they do not authorize (every lookup checks the caller's tenancy), so their random
bits come from a fast generator seeded from the OS rather than a syscall per id.
"""

from __future__ import annotations

import os
import random
import threading
import time
import uuid

_lock = threading.Lock()
_random = random.Random(os.urandom(32))
_last_ms = 0
_seq = 0


def _uuid7_int() -> int:
    global _last_ms, _seq
    with _lock:
        ms = time.time_ns() // 1_000_000
        if ms <= _last_ms:
            _seq += 1
            if _seq > 0xFFF:
                _last_ms += 1
                _seq = 0
            ms = _last_ms
        else:
            _last_ms = ms
            _seq = _random.getrandbits(10)
        seq = _seq
        rand_b = _random.getrandbits(62)
    return (ms << 80) | (0x7 << 76) | (seq << 64) | (0b10 << 62) | rand_b


def uuid7() -> uuid.UUID:
    """RFC 9562 UUIDv7, monotonic within this process (12-bit counter inside a millisecond)."""
    return uuid.UUID(int=_uuid7_int())


def new_id(prefix: str) -> str:
    return f"{prefix}_{_uuid7_int():032x}"


def reseed() -> None:
    """After fork, so child processes do not repeat the parent's sequence."""
    _random.seed(os.urandom(32))


os.register_at_fork(after_in_child=reseed)


def parse_id(prefix: str, value: str) -> str | None:
    """Canonical id for ``prefix_<hex>`` or a bare UUID; None when it cannot be one of ours."""
    raw = value.removeprefix(f"{prefix}_") if value.startswith(f"{prefix}_") else value
    try:
        return f"{prefix}_{uuid.UUID(raw).hex}"
    except ValueError:
        return None


def as_uuid(identifier: str) -> str:
    """The UUID form of a prefixed id (spec 004 shows UUIDs)."""
    return str(uuid.UUID(identifier.rsplit("_", 1)[-1]))
