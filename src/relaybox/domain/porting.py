"""The port-in order machine: one table of allowed moves; terminal states never change.

submitted → in_review → foc_confirmed → ported, and exception (the losing carrier refused)
or cancelled from any open state — except that a cancellation is refused once the FOC date's
cut-off has passed (the carriers have committed to the move by then).
"""

from __future__ import annotations

from datetime import datetime, timedelta

SUBMITTED, IN_REVIEW, FOC_CONFIRMED = "submitted", "in_review", "foc_confirmed"
PORTED, EXCEPTION, CANCELLED = "ported", "exception", "cancelled"
STATES = (SUBMITTED, IN_REVIEW, FOC_CONFIRMED, PORTED, EXCEPTION, CANCELLED)
TERMINAL = frozenset({PORTED, EXCEPTION, CANCELLED})

TRANSITIONS: dict[str, frozenset[str]] = {
    SUBMITTED: frozenset({IN_REVIEW, EXCEPTION, CANCELLED}),
    IN_REVIEW: frozenset({FOC_CONFIRMED, EXCEPTION, CANCELLED}),
    FOC_CONFIRMED: frozenset({PORTED, EXCEPTION, CANCELLED}),
    PORTED: frozenset(),
    EXCEPTION: frozenset(),
    CANCELLED: frozenset(),
}

# How the simulator's losing carriers behave (durable timers; see docs/numbers.md)
REVIEW_AFTER = timedelta(hours=1)  # submitted → in_review
FOC_AFTER = timedelta(days=1)  # in_review → foc_confirmed
FOC_LEAD = timedelta(days=3)  # the FOC date is this long after confirmation
CUTOFF = timedelta(days=1)  # no cancellation within this long before the FOC date


def can_transition(current: str, new: str) -> bool:
    if current not in TRANSITIONS or new not in TRANSITIONS:
        raise ValueError(f"unknown port state {current!r} or {new!r}")
    return new in TRANSITIONS[current]


def cancel_cutoff(foc_date: datetime | None) -> datetime | None:
    return foc_date - CUTOFF if foc_date is not None else None


def may_cancel(state: str, foc_date: datetime | None, now: datetime) -> bool:
    if not can_transition(state, CANCELLED):
        return False
    cutoff = cancel_cutoff(foc_date)
    return cutoff is None or now < cutoff


def simulated_rejection(carrier: str) -> str | None:
    """The simulator's losing carrier refuses ports from carriers named like "reject"."""
    if "reject" in carrier.lower():
        return "The losing carrier rejected the order: account details do not match."
    return None
