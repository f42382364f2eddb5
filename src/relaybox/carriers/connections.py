"""Reading and writing carrier connections; passwords go through the server's SecretBox."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.carriers.models import CarrierConnection
from relaybox.carriers.smpp.config import SmppConfig
from relaybox.crypto import SecretBox
from relaybox.errors import Conflict, NotFound

SMPP = "smpp"


async def add_smpp(session: AsyncSession, box: SecretBox, config: SmppConfig) -> CarrierConnection:
    existing = await session.execute(
        select(CarrierConnection.id).where(CarrierConnection.name == config.name)
    )
    if existing.scalar_one_or_none() is not None:
        raise Conflict(f"A carrier connection named {config.name!r} already exists.")
    row = CarrierConnection(
        id=ids.new_id("cc"),
        kind=SMPP,
        name=config.name,
        host=config.host,
        port=config.port,
        username=config.system_id,
        password_encrypted=box.encrypt(config.password),
        options=config.options(),
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


async def list_rows(session: AsyncSession, kind: str = SMPP) -> list[CarrierConnection]:
    rows = await session.execute(
        select(CarrierConnection)
        .where(CarrierConnection.kind == kind)
        .order_by(CarrierConnection.name)
    )
    return list(rows.scalars())


def to_config(row: CarrierConnection, box: SecretBox) -> SmppConfig:
    return SmppConfig.from_options(
        name=row.name,
        host=row.host,
        port=row.port,
        system_id=row.username,
        password=box.decrypt(row.password_encrypted),
        options=row.options,
    )


async def smpp_configs(session: AsyncSession, box: SecretBox) -> list[SmppConfig]:
    return [to_config(row, box) for row in await list_rows(session)]


async def remove(session: AsyncSession, name: str, kind: str = SMPP) -> None:
    result = await session.execute(
        delete(CarrierConnection).where(
            (CarrierConnection.name == name) & (CarrierConnection.kind == kind)
        )
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound(f"No {kind} connection named {name!r}.")
