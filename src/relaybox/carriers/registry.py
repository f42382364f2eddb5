"""Carrier adapters by name. Settings choose which run and how traffic routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from relaybox.carriers.base import CarrierAdapter

Factory = Callable[[Any], CarrierAdapter]  # receives the Runtime
_factories: dict[str, Factory] = {}


def register(name: str, factory: Factory) -> None:
    _factories[name] = factory


def factory(name: str) -> Factory:
    try:
        return _factories[name]
    except KeyError:
        raise LookupError(
            f"unknown carrier adapter {name!r}; known: {sorted(_factories)}"
        ) from None


def names() -> list[str]:
    return sorted(_factories)
