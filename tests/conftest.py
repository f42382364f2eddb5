"""Shared fixtures: a clean database per test, on SQLite and on PostgreSQL.

SQLite: the migrations build a template file once per run; each test gets a copy.
PostgreSQL (when RELAYBOX_TEST_POSTGRES_URL is set): the migrations build one database per run;
each test starts from TRUNCATE. If the URL is set and the server is unreachable, the run fails.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from relaybox import clock, migrate
from relaybox.clock import FrozenClock
from relaybox.models import metadata
from relaybox.runtime import Runtime
from relaybox.settings import Settings, normalize_database_url
from tests.support import Tenant, make_tenant

PG_URL = os.environ.get("RELAYBOX_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]


def _pg_admin(sql: str, url: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(url.replace("+asyncpg", ""), timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "relaybox.db"
    migrate.upgrade(f"sqlite+aiosqlite:///{path}")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    return path


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str | None]:
    """A database on the test server, migrated once for the whole run."""
    if not PG_URL:
        yield None
        return
    base = normalize_database_url(PG_URL)
    name = f"relaybox_test_{os.getpid()}"
    try:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', base)
        _pg_admin(f'CREATE DATABASE "{name}"', base)
    except Exception as exc:  # the URL is set: PostgreSQL is required, never skipped
        pytest.exit(f"RELAYBOX_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {exc}", 3)
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    migrate.upgrade(url)
    yield url
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', base)


TABLES = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def db_url(backend: str, tmp_path: Path, sqlite_template: Path, postgres_url: str | None) -> str:
    if backend == "sqlite":
        target = tmp_path / "relaybox.db"
        shutil.copyfile(sqlite_template, target)
        return f"sqlite+aiosqlite:///{target}"
    if postgres_url is None:
        pytest.skip("PostgreSQL: set RELAYBOX_TEST_POSTGRES_URL to run (CI always does)")
    _pg_admin(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE", postgres_url)
    return postgres_url


def make_settings(db_url: str, data_dir: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": db_url,
        "data_dir": data_dir,
        "access_log": False,
        "secret_key": "test-secret",
        "auth_cache_seconds": 0.0,
        "worker_poll_seconds": 0.02,
        "audit_flush_seconds": 0.05,
        "demo": False,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return make_settings(db_url, tmp_path)


@pytest.fixture
async def runtime(settings: Settings) -> AsyncIterator[Runtime]:
    rt = Runtime(settings)
    yield rt
    await rt.stop()


@pytest.fixture
async def app(runtime: Runtime) -> AsyncIterator[Any]:
    from relaybox.http.app import create_app

    application = create_app(runtime=runtime, worker=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://relaybox.test") as c:
        yield c


@pytest.fixture
async def tenant(runtime: Runtime) -> Tenant:
    return await make_tenant(runtime.db, "Tenant A")


@pytest.fixture
async def other_tenant(runtime: Runtime) -> Tenant:
    return await make_tenant(runtime.db, "Tenant B")


@pytest.fixture
def frozen() -> Iterator[FrozenClock]:
    fake = FrozenClock()
    previous = clock.set_clock(fake)
    yield fake
    clock.set_clock(previous)


# Job kinds used by the job tests are registered for every test process.
import tests.jobs.handlers  # noqa: E402,F401
