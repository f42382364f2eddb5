"""Durable jobs: the one mechanism for every side effect (carrier submits, webhooks, timers)."""

from relaybox.jobs.queue import enqueue
from relaybox.jobs.registry import (
    JobBatch,
    JobContext,
    JobFailed,
    Retry,
    batch_handler,
    handler,
)

__all__ = [
    "JobBatch",
    "JobContext",
    "JobFailed",
    "Retry",
    "batch_handler",
    "enqueue",
    "handler",
]
