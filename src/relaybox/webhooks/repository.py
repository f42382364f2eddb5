"""All SQL of the webhooks package."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.storage.base import dialect_insert
from relaybox.webhooks.models import (
    ACTIVE,
    Event,
    WebhookDelivery,
    WebhookSettings,
    WebhookSubscription,
)


async def settings_of(session: AsyncSession, owner_id: str) -> WebhookSettings | None:
    stmt = select(WebhookSettings).where(WebhookSettings.owner_id == owner_id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def insert_settings_if_missing(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a settings row unless its owner already has one (concurrent creators are fine)."""
    stmt: Any = dialect_insert(session, WebhookSettings).values(**values)
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["owner_id"]))


async def disable_settings_url(
    session: AsyncSession, owner_id: str, role: str, url: str, at: Any
) -> None:
    """Mark one of a project's URLs disabled, if it is still that URL."""
    column = "status_url" if role == "status" else "inbound_url"
    await session.execute(
        update(WebhookSettings)
        .where(
            WebhookSettings.owner_id == owner_id,
            getattr(WebhookSettings, column) == url,
            getattr(WebhookSettings, f"{column}_disabled_at").is_(None),
        )
        .values({f"{column}_disabled_at": at, "updated_at": at})
        .execution_options(synchronize_session=False)
    )


async def disable_subscription(
    session: AsyncSession, subscription_id: str, url: str, at: Any
) -> None:
    await session.execute(
        update(WebhookSubscription)
        .where(
            WebhookSubscription.id == subscription_id,
            WebhookSubscription.url == url,
            WebhookSubscription.status == ACTIVE,
        )
        .values(status="disabled", disabled_at=at, updated_at=at)
        .execution_options(synchronize_session=False)
    )


async def active_subscriptions(
    session: AsyncSession, account_id: str, sub_account_id: str
) -> list[WebhookSubscription]:
    stmt = select(WebhookSubscription).where(
        WebhookSubscription.account_id == account_id,
        WebhookSubscription.sub_account_id == sub_account_id,
        WebhookSubscription.status == ACTIVE,
    )
    return list((await session.execute(stmt)).scalars().all())


def subscriptions_query(account_id: str, sub_account_id: str) -> Select[Any]:
    return select(WebhookSubscription).where(
        WebhookSubscription.account_id == account_id,
        WebhookSubscription.sub_account_id == sub_account_id,
    )


def events_query(
    account_id: str,
    *,
    sub_account_id: str | None = None,
    project_id: str | None = None,
    type: str | None = None,
) -> Select[Any]:
    stmt = select(Event).where(Event.account_id == account_id)
    if sub_account_id is not None:
        stmt = stmt.where(Event.sub_account_id == sub_account_id)
    if project_id is not None:
        stmt = stmt.where(Event.project_id == project_id)
    if type is not None:
        stmt = stmt.where(Event.type == type)
    return stmt


def deliveries_query(
    account_id: str, *, project_id: str | None = None, event_id: str | None = None
) -> Select[Any]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.account_id == account_id)
    if project_id is not None:
        stmt = stmt.where(WebhookDelivery.project_id == project_id)
    if event_id is not None:
        stmt = stmt.where(WebhookDelivery.event_id == event_id)
    return stmt
