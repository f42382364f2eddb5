"""kill -9 of the server mid-stream loses nothing and submits nothing twice (bench/crash_e2e.py
runs the same check with 10,000 messages; see docs/benchmarks.md)."""

from __future__ import annotations

import asyncio

import pytest

from bench.crash_e2e import run
from tests.conftest import TABLES, _pg_admin

pytestmark = pytest.mark.slow


async def test_kill_9_mid_stream(backend: str, postgres_url: str | None) -> None:
    url = None
    if backend == "postgres":
        if postgres_url is None:
            pytest.skip("PostgreSQL: set RELAYBOX_TEST_POSTGRES_URL to run (CI always does)")
        await asyncio.to_thread(
            _pg_admin, f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE", postgres_url
        )
        url = postgres_url
    report = await run(300, url, kill_fraction=0.5, timeout=240)
    assert report["killed_after"] is not None
    assert report["missing_accepted"] == 0, report
    assert report["non_terminal"] == 0, report
    assert report["duplicate_submits"] == 0, report
    assert report["submitted_once"] == report["messages"] == 300, report
    assert report["messages_with_both_webhooks"] == 300, report
