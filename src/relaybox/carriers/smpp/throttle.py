"""A connection's submit pacing: a TPS cap, and a temporary slow-down when the SMSC pushes back.

Pacing rather than a bursty bucket: each submit takes the next slot 1/rate after the previous
one, so N submits at a cap of C never go out faster than C per second, even in the first second
(carriers count per second, and a burst at bind time is what gets throttled).
"""

from __future__ import annotations

import asyncio
import time

SLOW_TPS = 20.0  # the pace of an uncapped connection while it is slowed down
SLOW_SECONDS = 10.0


class Pacer:
    def __init__(self, tps: float) -> None:
        self.tps = tps
        self._next = 0.0
        self._slow_until = 0.0
        self.sent = 0
        self._second = int(time.monotonic())
        self._this_second = 0
        self.last_second_rate = 0

    @property
    def slowed(self) -> bool:
        return time.monotonic() < self._slow_until

    def rate(self) -> float:
        """Current cap in submits per second; 0 means none."""
        if self.slowed:
            return self.tps / 2 if self.tps else SLOW_TPS
        return self.tps

    def slow_down(self, seconds: float = SLOW_SECONDS) -> None:
        """Halve the cap (or impose SLOW_TPS when uncapped) for a while: the SMSC throttled us."""
        self._slow_until = max(self._slow_until, time.monotonic() + seconds)

    def reserve(self, max_wait: float) -> float | None:
        """Seconds to wait before sending, or None when the slot is further than ``max_wait``
        (the caller reports throttling rather than holding a job for long)."""
        rate = self.rate()
        now = time.monotonic()
        if not rate:
            return 0.0
        slot = max(now, self._next)
        wait = slot - now
        if wait > max_wait:
            return None
        self._next = slot + 1.0 / rate
        return wait

    async def acquire(self, max_wait: float) -> bool:
        wait = self.reserve(max_wait)
        if wait is None:
            return False
        if wait > 0:
            await asyncio.sleep(wait)
        return True

    def count(self) -> None:
        """One submit sent (for the measured rate in health)."""
        self.sent += 1
        second = int(time.monotonic())
        if second != self._second:
            self.last_second_rate = self._this_second if second == self._second + 1 else 0
            self._second, self._this_second = second, 0
        self._this_second += 1
