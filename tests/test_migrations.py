"""The schema comes only from migrations, and the models match them (``alembic check``)."""

from __future__ import annotations

from relaybox import migrate


def test_models_match_migrations(db_url: str) -> None:
    migrate.check(db_url)


def test_upgrade_is_idempotent(db_url: str) -> None:
    migrate.upgrade(db_url)
    migrate.check(db_url)
