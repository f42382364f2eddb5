"""Which connection carries a destination: longest prefix first, then priority.

Connections whose prefixes do not match are not candidates; a connection without prefixes
matches everything (with the shortest match), so it is the catch-all and the last fallback.
The adapter tries the candidates in order and moves on only when one is unavailable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from relaybox.carriers.smpp.config import SmppConfig


class Routed(Protocol):
    @property
    def config(self) -> SmppConfig: ...


T = TypeVar("T", bound=Routed)


def match_length(prefixes: Sequence[str], digits: str) -> int | None:
    """Length of the longest prefix of ``digits`` in ``prefixes``; 0 for a catch-all; None when
    the connection does not carry this destination."""
    if not prefixes:
        return 0
    lengths = [len(p) for p in prefixes if digits.startswith(p)]
    return max(lengths) if lengths else None


def candidates(connections: Sequence[T], to: str) -> list[T]:
    digits = to.lstrip("+")
    scored: list[tuple[int, int, str, T]] = []
    for c in connections:
        length = match_length(c.config.prefixes, digits)
        if length is not None:
            scored.append((-length, c.config.priority, c.config.name, c))
    scored.sort(key=lambda s: s[:3])
    return [s[3] for s in scored]
