"""A project's environment variables: set, strip, read (values encrypted with the server key).

Functions take a session (and the SecretBox for values) and flush, never commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.accounts.principal import Principal
from relaybox.crypto import SecretBox
from relaybox.projects.models import EnvVar


@dataclass(frozen=True)
class Variable:
    name: str
    value: str | None  # None: a secret the caller's key may not read
    secret: bool
    source: str
    updated_at: datetime


async def set_value(
    session: AsyncSession,
    box: SecretBox,
    project_id: str,
    name: str,
    value: str,
    *,
    source: str,
    secret_scope: str | None = None,
) -> None:
    """Create or replace ``name`` (``secret_scope``: a secret readable with that scope)."""
    now = clock.now()
    row = await session.get(EnvVar, (project_id, name))
    if row is None:
        row = EnvVar(project_id=project_id, name=name, created_at=now)
        session.add(row)
    row.value_encrypted = box.encrypt(value)
    row.secret, row.secret_scope = secret_scope is not None, secret_scope
    row.source, row.updated_at = source, now
    await session.flush()


async def strip(session: AsyncSession, project_id: str, names: Iterable[str]) -> None:
    await session.execute(
        delete(EnvVar)
        .where(EnvVar.project_id == project_id, EnvVar.name.in_(list(names)))
        .execution_options(synchronize_session=False)
    )


async def read(
    session: AsyncSession, box: SecretBox, who: Principal, project_id: str
) -> list[Variable]:
    """Every variable by name; a secret's value only for keys that hold its scope."""
    rows = (
        await session.execute(
            select(EnvVar).where(EnvVar.project_id == project_id).order_by(EnvVar.name)
        )
    ).scalars()
    out = []
    for row in rows:
        readable = not row.secret or who.allows(row.secret_scope or "admin")
        out.append(
            Variable(
                row.name,
                box.decrypt(row.value_encrypted) if readable else None,
                row.secret,
                row.source,
                row.updated_at,
            )
        )
    return out
