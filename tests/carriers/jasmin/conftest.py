"""The Jasmin peer for this directory, and its logs in the report of any failing test."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from tests.peers.jasmin.fixture import JasminPeer, jasmin

__all__ = ["jasmin"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, Any]:
    report = yield
    peer = getattr(item, "funcargs", {}).get("jasmin")
    if report.failed and isinstance(peer, JasminPeer):
        report.sections.append(("Jasmin logs", peer.jasmin.logs()))
    return report
