"""One-time passcode rules (REFERENCE.md "Verification")."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

DEFAULT_LENGTH = 6
MIN_LENGTH, MAX_LENGTH = 4, 10
VALIDITY_SECONDS = 600
MAX_SENDS_PER_WINDOW = 5
SEND_WINDOW_SECONDS = 600
MAX_CHECKS = 5
STATUSES = ("pending", "approved", "canceled", "max_attempts_reached", "expired", "failed")


def generate_code(length: int = DEFAULT_LENGTH) -> str:
    if not MIN_LENGTH <= length <= MAX_LENGTH:
        raise ValueError(f"code length must be {MIN_LENGTH}-{MAX_LENGTH}")
    return "".join(secrets.choice("0123456789") for _ in range(length))


def new_salt() -> bytes:
    return secrets.token_bytes(16)


def hash_code(code: str, salt: bytes) -> str:
    return hmac.new(salt, code.encode(), hashlib.sha256).hexdigest()


def check_code(code: str, salt: bytes, expected_hash: str) -> bool:
    """Constant-time comparison of the code's hash with the stored one."""
    return hmac.compare_digest(hash_code(code, salt), expected_hash)


def can_send(send_times: list[datetime], now: datetime) -> bool:
    """False once MAX_SENDS_PER_WINDOW codes went to the number within the window."""
    start = now - timedelta(seconds=SEND_WINDOW_SECONDS)
    return sum(1 for t in send_times if t > start) < MAX_SENDS_PER_WINDOW
