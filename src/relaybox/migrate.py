"""Running Alembic from code (the package carries its migrations)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from relaybox.settings import normalize_database_url

HERE = Path(__file__).parent


def alembic_config(url: str) -> Config:
    url = normalize_database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations. Safe to call from inside a running event loop (uses a thread)."""
    _off_loop(lambda: command.upgrade(alembic_config(url), revision))


def check(url: str) -> None:
    """Fail if the models differ from what the migrations build (``alembic check``)."""
    _off_loop(lambda: command.check(alembic_config(url)))


def _off_loop(fn: object) -> None:
    assert callable(fn)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn()
        return
    errors: list[BaseException] = []

    def target() -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]
