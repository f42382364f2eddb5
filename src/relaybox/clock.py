"""The one source of time. Tests swap in a FrozenClock and advance it instead of sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock(Clock):
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime.now(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        self._now += timedelta(seconds=seconds)
        return self._now


_clock: Clock = Clock()


def now() -> datetime:
    return _clock.now()


def set_clock(clock: Clock) -> Clock:
    """Install a clock; returns the previous one so callers can restore it."""
    global _clock
    previous, _clock = _clock, clock
    return previous
