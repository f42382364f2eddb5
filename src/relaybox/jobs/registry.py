"""Job kinds and their handlers. Each capability registers its handlers in its jobs.py."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from relaybox.runtime import Runtime

T = TypeVar("T")


class Retry(Exception):
    """Run the job again later: after ``after`` seconds, or on the kind's backoff."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class JobFailed(Exception):
    """The job can never succeed: dead-letter it now."""


class LeaseLost(Exception):
    """Another worker took this job over after our lease expired; our work is discarded."""


def exponential_backoff(attempt: int, base: float = 2.0, cap: float = 3600.0) -> float:
    """Exponential backoff with jitter: base * 2^(attempt-1), capped, scaled by 0.5..1.0."""
    delay = min(cap, base * float(2 ** max(0, attempt - 1)))
    return delay * (0.5 + random.random() / 2)


@dataclass
class JobContext:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    runtime: Runtime
    _complete: Callable[[Callable[[AsyncSession], Awaitable[Any]]], Awaitable[Any]] = field(
        repr=False
    )
    completed: bool = False

    async def complete(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Apply the job's results and mark it done in one transaction."""
        result: T = await self._complete(fn)
        self.completed = True
        return result


Handler = Callable[[JobContext], Awaitable[None]]


@dataclass
class Outcome:
    state: str  # "retry" | "dead"
    reason: str
    after: float | None = None


@dataclass
class JobBatch:
    """Several jobs of one kind handled together: one transaction applies their effects and
    finishes them. A job given no other outcome (``retry``/``fail``) is done."""

    jobs: list[JobContext]
    runtime: Runtime
    _complete: Callable[
        [JobBatch, Callable[[AsyncSession], Awaitable[Any]] | None], Awaitable[Any]
    ] = field(repr=False)
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    completed: bool = False

    def retry(self, job: JobContext, reason: str, after: float | None = None) -> None:
        self.outcomes[job.id] = Outcome("retry", reason, after)

    def fail(self, job: JobContext, reason: str) -> None:
        self.outcomes[job.id] = Outcome("dead", reason)

    def pending(self) -> list[JobContext]:
        """The jobs that have no outcome yet."""
        return [job for job in self.jobs if job.id not in self.outcomes]

    async def complete(self, fn: Callable[[AsyncSession], Awaitable[T]] | None = None) -> T:
        """Apply ``fn`` and record every job's outcome in one transaction."""
        result: T = await self._complete(self, fn)
        self.completed = True
        return result


BatchHandler = Callable[[JobBatch], Awaitable[None]]


@dataclass(frozen=True)
class JobSpec:
    kind: str
    handler: Handler | None
    max_attempts: int = 10
    backoff: Callable[[int], float] = exponential_backoff
    timeout: float = 60.0
    batch_handler: BatchHandler | None = None
    batch_size: int = 1


_registry: dict[str, JobSpec] = {}


def handler(
    kind: str,
    *,
    max_attempts: int = 10,
    backoff: Callable[[int], float] = exponential_backoff,
    timeout: float = 60.0,
) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _registry[kind] = JobSpec(kind, fn, max_attempts, backoff, timeout)
        return fn

    return register


def batch_handler(
    kind: str,
    *,
    size: int = 200,
    max_attempts: int = 10,
    backoff: Callable[[int], float] = exponential_backoff,
    timeout: float = 60.0,
) -> Callable[[BatchHandler], BatchHandler]:
    """Register a handler that receives up to ``size`` due jobs of ``kind`` at once."""

    def register(fn: BatchHandler) -> BatchHandler:
        _registry[kind] = JobSpec(kind, None, max_attempts, backoff, timeout, fn, size)
        return fn

    return register


def spec_for(kind: str) -> JobSpec:
    try:
        return _registry[kind]
    except KeyError:
        raise LookupError(f"no job handler registered for {kind!r}") from None


def registered() -> dict[str, JobSpec]:
    return dict(_registry)


def delay(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)
