"""The adapters a process runs: the simulator always, plus the configured live carrier."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from relaybox.carriers import registry
from relaybox.carriers.base import CarrierAdapter, CarrierEvents

if TYPE_CHECKING:
    from relaybox.runtime import Runtime

log = logging.getLogger("relaybox.carriers")
SIMULATOR = "simulator"


class Carriers:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.live = runtime.settings.carrier
        self.adapters: dict[str, CarrierAdapter] = {}

    async def start(self, events: CarrierEvents) -> None:
        for name in dict.fromkeys([SIMULATOR, self.live]):
            adapter = registry.factory(name)(self.runtime)
            await adapter.start(events)
            self.adapters[name] = adapter
            log.info("carrier adapter %s started", name)

    async def stop(self) -> None:
        for adapter in self.adapters.values():
            try:
                await adapter.stop()
            except Exception:
                log.exception("stopping carrier adapter %s failed", adapter.name)
        self.adapters.clear()

    def for_traffic(self, test: bool) -> CarrierAdapter:
        """Test (sandbox) traffic always goes to the simulator."""
        return self.get(SIMULATOR if test else self.live)

    def get(self, name: str) -> CarrierAdapter:
        try:
            return self.adapters[name]
        except KeyError:
            raise LookupError(f"carrier adapter {name!r} is not running in this process") from None

    def health(self) -> dict[str, Any]:
        return {name: adapter.health() for name, adapter in self.adapters.items()}
