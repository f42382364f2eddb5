"""Property-based run over the whole OpenAPI document: no input may cause a 5xx.

Bounded and deterministic (derandomized); runs against a live server on SQLite and, when
configured, PostgreSQL (which enforces column lengths SQLite ignores).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from relaybox.http.app import create_app
from relaybox.settings import Settings
from tests.conftest import TABLES, _pg_admin, make_settings
from tests.live import LiveServer
from tests.support import make_tenant

pytestmark = pytest.mark.slow

_scratch = Path(tempfile.mkdtemp(prefix="relaybox-schema-"))
schema = schemathesis.openapi.from_dict(
    create_app(
        Settings(secret_key="x", data_dir=_scratch, database_url=f"sqlite:///{_scratch}/unused.db")
    ).openapi()
)
shutil.rmtree(_scratch, ignore_errors=True)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def live(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    sqlite_template: Path,
    postgres_url: str | None,
) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    if request.param == "sqlite":
        shutil.copyfile(sqlite_template, tmp / "db.sqlite")
        url = f"sqlite+aiosqlite:///{tmp / 'db.sqlite'}"
    else:
        if postgres_url is None:
            pytest.skip("PostgreSQL: set RELAYBOX_TEST_POSTGRES_URL to run (CI always does)")
        _pg_admin(f"TRUNCATE {TABLES} RESTART IDENTITY CASCADE", postgres_url)
        url = postgres_url
    server = LiveServer(
        make_settings(
            url,
            tmp,
            rate_limit_native_per_minute=10**9,
            rate_limit_smsvoip_per_minute=10**9,
            rate_limit_verify_per_second=10**7,
            rate_limit_bird_per_minute=10**9,
        )
    ).start()
    tenant = server.call(make_tenant(server.runtime.db, "Fuzz"))
    yield {"url": server.url, "headers": tenant.headers("admin", "test")}
    server.stop()


@schema.parametrize()
@settings(max_examples=25, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_causes_a_server_error(case: Any, live: dict[str, Any]) -> None:
    case.call_and_validate(
        base_url=live["url"], headers=live["headers"], checks=[not_a_server_error]
    )
