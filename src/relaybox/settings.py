"""Settings from RELAYBOX_* environment variables (every one is documented in README.md)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELAYBOX_", extra="ignore")

    # Serving
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("var")
    database_url: str | None = None
    public_url: str | None = None
    forwarded_allow_ips: str = "127.0.0.1"

    # Security
    secret_key: str | None = None
    auth_cache_seconds: float = 1.0
    max_body_bytes: int = 1_048_576

    # Limits (requests per minute per key and surface; a key may override)
    rate_limit_native_per_minute: int = 6000
    rate_limit_smsvoip_per_minute: int = 120
    rate_limit_verify_per_second: int = 30
    rate_limit_bird_per_minute: int = 6000

    # Workers and jobs
    worker_concurrency: int = 500  # jobs in flight per worker (batches count each job)
    worker_poll_seconds: float = 0.1
    job_lease_seconds: int = 60
    job_max_attempts: int = 10
    extra_modules: str = ""

    # SQLite
    sqlite_synchronous: Literal["OFF", "NORMAL", "FULL"] = "FULL"
    sqlite_readers: int = 4

    # Logs
    log_level: str = "INFO"
    log_format: Literal["auto", "json", "text"] = "auto"
    access_log: bool = True

    # Demo account created by `relaybox serve` on first start
    demo: bool = True
    demo_credit: str = "100.00"

    # Carriers and the simulator
    carrier: str = "simulator"  # adapter for live traffic; test keys always use the simulator
    simulator_receipt_seconds: float = 1.0
    simulator_slow_receipt_seconds: float = 20.0
    sms_validity_seconds: int = 36000  # a message still queued after this expires
    sandbox_sender: str = "+15005550000"  # default sender for test traffic without a number

    # Outbound webhooks
    webhook_allow_private: bool = False
    webhook_allow_loopback: bool = True
    webhook_timeout_seconds: float = 10.0

    # Durations
    idempotency_ttl_seconds: int = 24 * 3600
    idempotency_lock_seconds: int = 60  # an in-flight request older than this is presumed dead
    audit_flush_seconds: float = 0.2

    worker_id: str = Field(default="")

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return normalize_database_url(self.database_url)
        return f"sqlite+aiosqlite:///{self.data_dir / 'relaybox.db'}"

    @property
    def extra_module_names(self) -> list[str]:
        return [m.strip() for m in self.extra_modules.split(",") if m.strip()]


def normalize_database_url(url: str) -> str:
    """Accept plain postgresql:// and sqlite:// URLs and pick the async drivers."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url
