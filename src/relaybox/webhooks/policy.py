"""When to retry a webhook, and when to give up. Pure functions: no I/O, no clock of their own.

Attempt n failed → wait SCHEDULE[n-1] (the last entry repeats), scaled by a random 0.8..1.2,
never less than the receiver's Retry-After, never past the delivery window (24 h from the first
attempt). The attempt at the end of the window is the last one.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

SCHEDULE: tuple[float, ...] = (5, 300, 1800, 7200, 18000, 36000)
WINDOW = timedelta(hours=24)
JITTER = 0.2
MAX_ATTEMPTS = 50  # a bound for the job table; the window ends deliveries long before this


def backoff(attempt: int, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based), with jitter."""
    base = SCHEDULE[min(max(attempt, 1), len(SCHEDULE)) - 1]
    return base * (1 - JITTER + 2 * JITTER * rand())


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds from ``now``: delta-seconds or an HTTP date; None if unusable."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, (when - now).total_seconds())


def next_delay(
    attempt: int,
    now: datetime,
    deadline: datetime,
    retry_after: float | None = None,
    rand: Callable[[], float] = random.random,
) -> float | None:
    """Seconds until the next attempt, or None when the window is over (give up)."""
    remaining = (deadline - now).total_seconds()
    if remaining <= 0:
        return None
    wait = backoff(attempt, rand)
    if retry_after is not None:
        wait = max(wait, retry_after)
    return min(wait, remaining)


# What one HTTP answer means.
OK, RETRY, FINAL, GONE = "ok", "retry", "final", "gone"


def classify(status_code: int) -> str:
    """2xx delivered; 429 and 5xx retried; 410 disables the endpoint; anything else is final
    (3xx included: redirects are never followed)."""
    if 200 <= status_code < 300:
        return OK
    if status_code == 410:
        return GONE
    if status_code == 429 or status_code >= 500:
        return RETRY
    return FINAL
