"""Per-key token buckets. A limited request answers 429 and is never executed.

Buckets live in the process: with several server processes each enforces the limit on its own
share of traffic (see docs/deployment.md).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from relaybox.errors import RateLimited


@dataclass(frozen=True, slots=True)
class Limit:
    requests: int
    window_seconds: float

    @property
    def rate(self) -> float:
        return self.requests / self.window_seconds


@dataclass(slots=True)
class Verdict:
    limit: Limit
    remaining: int
    reset_seconds: int

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit.requests),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_seconds),
            "RateLimit-Policy": f"{self.limit.requests};w={int(self.limit.window_seconds)}",
        }


class RateLimiter:
    def __init__(self) -> None:
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, key: str, bucket: str, limit: Limit) -> Verdict:
        """Take one token or raise RateLimited (with Retry-After and RateLimit headers)."""
        now = time.monotonic()
        tokens, last = self._buckets.get((key, bucket), (float(limit.requests), now))
        tokens = min(float(limit.requests), tokens + (now - last) * limit.rate)
        if tokens < 1.0:
            wait = (1.0 - tokens) / limit.rate
            self._buckets[(key, bucket)] = (tokens, now)
            verdict = Verdict(limit, 0, max(1, math.ceil(wait)))
            raise RateLimited(
                f"Rate limit of {limit.requests} requests per {int(limit.window_seconds)}s "
                "exceeded for this key.",
                headers={"Retry-After": str(max(1, math.ceil(wait))), **verdict.headers()},
            )
        tokens -= 1.0
        self._buckets[(key, bucket)] = (tokens, now)
        full_in = (limit.requests - tokens) / limit.rate
        return Verdict(limit, int(tokens), math.ceil(full_in))

    def reset(self) -> None:
        self._buckets.clear()
