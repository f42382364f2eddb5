"""Everything a running relaybox process holds: settings, database, workers, caches, clients."""

from __future__ import annotations

import hashlib
import importlib
import logging
import ssl

import aiohttp

from relaybox.audit.writer import AuditWriter
from relaybox.carriers.fleet import Carriers
from relaybox.crypto import SecretBox, load_server_secret
from relaybox.http.auth import KeyCache
from relaybox.http.ratelimit import RateLimiter
from relaybox.jobs.runner import Runner
from relaybox.messaging.accepter import Accepter
from relaybox.messaging.carrier_events import MessagingEvents
from relaybox.settings import Settings
from relaybox.storage.database import Database
from relaybox.webhooks import sender

log = logging.getLogger("relaybox")

# Modules whose import registers job handlers and carrier adapters.
CAPABILITY_MODULES: list[str] = [
    "relaybox.maintenance",
    "relaybox.webhooks.jobs",
    "relaybox.messaging.jobs",
    "relaybox.carriers.simulator.adapter",
    "relaybox.carriers.simulator.jobs",
    "relaybox.carriers.smpp.adapter",
    "relaybox.numbers.jobs",
    "relaybox.billing.jobs",
]


def load_capabilities(extra: list[str] | None = None) -> None:
    for name in [*CAPABILITY_MODULES, *(extra or [])]:
        importlib.import_module(name)


class Runtime:
    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db or Database(
            settings.resolved_database_url,
            sqlite_synchronous=settings.sqlite_synchronous,
            sqlite_readers=settings.sqlite_readers,
        )
        secret = load_server_secret(settings.secret_key, settings.data_dir)
        self.box = SecretBox(secret)
        self.otp_key = hashlib.sha256(b"relaybox-otp:" + secret.encode()).digest()
        self.keys = KeyCache(settings.auth_cache_seconds)
        self.limiter = RateLimiter()
        self.audit = AuditWriter(self.db, settings.audit_flush_seconds)
        self.runner: Runner | None = None
        self.carrier_events = MessagingEvents(self.db)
        self.carriers = Carriers(self)
        self.accepter = Accepter(self)
        self._webhooks: aiohttp.ClientSession | None = None
        self.webhook_tls: ssl.SSLContext | None = None  # trust roots for webhook TLS (tests)
        self.started = False
        load_capabilities(settings.extra_module_names)

    @property
    def webhook_client(self) -> aiohttp.ClientSession:
        """Shared client for webhook deliveries. Never follows redirects; checks every target."""
        if self._webhooks is None or self._webhooks.closed:
            self._webhooks = sender.session(self.settings)
        return self._webhooks

    async def start(self, *, worker: bool) -> None:
        self.audit.start()
        if worker:
            await self.carriers.start(self.carrier_events)
            self.runner = Runner(self)
            from relaybox.maintenance import schedule_maintenance

            await schedule_maintenance(self.db)
            self.runner.start()
        self.started = True

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.stop()
        await self.carriers.stop()
        await self.accepter.stop()
        await self.audit.stop()
        if self._webhooks is not None:
            await self._webhooks.close()
        await self.db.close()
        self.started = False
