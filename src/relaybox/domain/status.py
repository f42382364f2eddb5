"""The SMS status machine: one table of allowed moves; terminal states never change.

accepted → queued → sending → sent → delivered | undelivered | failed, and expired (validity
ran out) or canceled. A repeated status is not a transition, so duplicate carrier events are
no-ops, and a late event cannot take a message backwards.
"""

from __future__ import annotations

from typing import Literal

STATES = (
    "accepted",
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "expired",
    "canceled",
)
TERMINAL = frozenset({"delivered", "undelivered", "failed", "expired", "canceled"})
RANK = {"accepted": 0, "queued": 1, "sending": 2, "sent": 3}

# Allowed moves (current → next). Every non-terminal state may end in any terminal one.
TRANSITIONS: dict[str, frozenset[str]] = {
    state: frozenset(s for s in STATES if s in TERMINAL or RANK.get(s, 99) > rank)
    for state, rank in RANK.items()
}
for _state in TERMINAL:
    TRANSITIONS[_state] = frozenset()


def _check(state: str) -> None:
    if state not in TRANSITIONS:
        raise ValueError(f"unknown SMS status {state!r}")


def can_transition(current: str, new: str) -> bool:
    _check(current)
    _check(new)
    return new in TRANSITIONS[current]


def is_terminal(state: str) -> bool:
    _check(state)
    return state in TERMINAL


def combine(part_statuses: list[str]) -> str:
    """The status of a multipart message from its parts' statuses."""
    if not part_statuses:
        return "sent"
    for state in part_statuses:
        _check(state)
    if "failed" in part_statuses or "canceled" in part_statuses:
        return "failed"
    if "undelivered" in part_statuses or "expired" in part_statuses:
        return "undelivered"
    if all(s == "delivered" for s in part_statuses):
        return "delivered"
    pending = [s for s in part_statuses if s not in TERMINAL]
    return min(pending, key=lambda s: RANK[s])


def to_spec001(state: str) -> str:
    _check(state)
    return "queued" if state in ("accepted", "queued") else state


def to_spec002(state: str) -> Literal["pending", "sent", "delivered", "failed", "undelivered"]:
    _check(state)
    if state in ("accepted", "queued", "sending"):
        return "pending"
    if state in ("failed", "canceled"):
        return "failed"
    if state in ("undelivered", "expired"):
        return "undelivered"
    return "delivered" if state == "delivered" else "sent"


def to_spec003(state: str) -> Literal["SENT", "DELIVERED", "UNDELIVERED", "REJECTED"]:
    _check(state)
    if state == "delivered":
        return "DELIVERED"
    if state in ("failed", "canceled"):
        return "REJECTED"
    if state in ("undelivered", "expired"):
        return "UNDELIVERED"
    return "SENT"
