"""Messaging fixtures: carriers started, a helper that lets the simulated network run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from relaybox.clock import FrozenClock
from relaybox.jobs.runner import Runner
from relaybox.runtime import Runtime
from relaybox.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        db_url, tmp_path, simulator_receipt_seconds=1.0, simulator_slow_receipt_seconds=30.0
    )


@pytest.fixture
async def network(runtime: Runtime, frozen: FrozenClock) -> AsyncIterator[Network]:
    await runtime.carriers.start(runtime.carrier_events)
    yield Network(runtime, frozen)
    await runtime.carriers.stop()


class Network:
    """Runs the job queue and the simulated network's clock forward."""

    def __init__(self, runtime: Runtime, clock: FrozenClock) -> None:
        self.runtime = runtime
        self.clock = clock
        self.runner = Runner(runtime)

    async def run(self, seconds: float = 0.0, step: float = 1.0) -> None:
        """Drain due jobs, then advance time in steps, draining after each."""
        await self.runner.drain()
        elapsed = 0.0
        while elapsed < seconds:
            self.clock.advance(step)
            elapsed += step
            await self.runner.drain()

    async def message(self, message_id: str) -> Any:
        from relaybox.messaging.models import Message

        async with self.runtime.db.read() as s:
            return await s.get(Message, message_id)

    async def events(self, type_: str | None = None) -> list[Any]:
        from sqlalchemy import select

        from relaybox.webhooks.models import Event

        async with self.runtime.db.read() as s:
            stmt = select(Event).order_by(Event.id)
            if type_:
                stmt = stmt.where(Event.type == type_)
            return list((await s.execute(stmt)).scalars().all())

    async def duplicate_submits(self) -> int:
        from sqlalchemy import func, select

        from relaybox.carriers.simulator.models import SimMessage

        async with self.runtime.db.read() as s:
            total = (
                await s.execute(select(func.coalesce(func.sum(SimMessage.duplicate_submits), 0)))
            ).scalar_one()
        return int(total)
