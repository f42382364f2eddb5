"""Webhook use cases: endpoints and secrets, Bird subscriptions, events and the delivery log.

Functions take a session and plain arguments, flush but never commit. Secrets are stored
encrypted with the server key (``box``) and decrypted only to sign or to show to an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.accounts.principal import Principal
from relaybox.crypto import SecretBox
from relaybox.errors import NotFound, ValidationFailed
from relaybox.settings import Settings
from relaybox.storage.pagination import Page, paginate
from relaybox.webhooks import repository, signing, targets
from relaybox.webhooks.models import (
    ACTIVE,
    DISABLED,
    Event,
    WebhookDelivery,
    WebhookSettings,
    WebhookSubscription,
)

DEFAULT_OVERLAP_SECONDS = 24 * 3600

# -- endpoints and secrets ----------------------------------------------------------------------


async def find_settings(session: AsyncSession, owner_id: str) -> WebhookSettings | None:
    """A project's (or, by account id, the account's default) settings, if made yet."""
    return await repository.settings_of(session, owner_id)


async def ensure_settings(
    session: AsyncSession, box: SecretBox, account_id: str, project_id: str | None
) -> WebhookSettings:
    """The project's settings row (or the account's default, with no project); made on first use
    with a fresh secret."""
    owner = project_id or account_id
    row = await repository.settings_of(session, owner)
    if row is not None:
        return row
    now = clock.now()
    await repository.insert_settings_if_missing(
        session,
        {
            "id": ids.new_id("whk"),
            "account_id": account_id,
            "project_id": project_id,
            "owner_id": owner,
            "secret": box.encrypt(signing.new_secret()),
            "created_at": now,
            "updated_at": now,
        },
    )
    row = await repository.settings_of(session, owner)
    if row is None:  # pragma: no cover - the insert or a concurrent one made it
        raise RuntimeError(f"webhook settings for {owner} vanished")
    return row


async def save_urls(
    session: AsyncSession,
    settings: Settings,
    row: WebhookSettings,
    *,
    status_url: str | None,
    inbound_url: str | None,
) -> WebhookSettings:
    """Replace both URLs. Saving re-enables an endpoint that was disabled by 410 Gone."""
    problems: list[dict[str, Any]] = []
    for field, url in (("status_url", status_url), ("inbound_url", inbound_url)):
        if url is None:
            continue
        try:
            targets.check_static(url, settings)
        except targets.TargetRefused as exc:
            problems.append({"field": field, "message": f"{field} cannot receive webhooks: {exc}"})
    if problems:
        raise ValidationFailed("; ".join(p["message"] for p in problems), details=problems)
    now = clock.now()
    row.status_url, row.status_url_disabled_at = status_url, None
    row.inbound_url, row.inbound_url_disabled_at = inbound_url, None
    row.updated_at = now
    await session.flush()
    return row


async def rotate_secret(
    session: AsyncSession, box: SecretBox, row: WebhookSettings, overlap_seconds: int
) -> WebhookSettings:
    """A new secret signs from now on; the current one keeps signing beside it for the overlap."""
    now = clock.now()
    if overlap_seconds > 0:
        row.previous_secret = row.secret
        row.previous_secret_expires_at = now + timedelta(seconds=overlap_seconds)
    else:
        row.previous_secret = None
        row.previous_secret_expires_at = None
    row.secret = box.encrypt(signing.new_secret())
    row.updated_at = now
    await session.flush()
    return row


def signing_secrets(box: SecretBox, row: WebhookSettings) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its overlap."""
    found = [box.decrypt(row.secret)]
    expires = row.previous_secret_expires_at
    if row.previous_secret and expires is not None and expires > clock.now():
        found.append(box.decrypt(row.previous_secret))
    return found


# -- Bird subscriptions -------------------------------------------------------------------------


@dataclass(frozen=True)
class SubscriptionFields:
    service: str
    event: str
    event_filters: list[dict[str, str]]
    template: str | None
    url: str


def _check_signing_key(key: str) -> None:
    problem = signing.secret_problem(key)
    if problem:
        raise ValidationFailed.field("signingKey", problem)


async def create_subscription(
    session: AsyncSession,
    box: SecretBox,
    settings: Settings,
    *,
    account_id: str,
    sub_account_id: str,
    fields: SubscriptionFields,
    signing_key: str | None,
) -> WebhookSubscription:
    targets.validate(fields.url, settings, "url")
    if signing_key is not None:
        _check_signing_key(signing_key)
    now = clock.now()
    subscription = WebhookSubscription(
        id=ids.new_id("whs"),
        account_id=account_id,
        sub_account_id=sub_account_id,
        service=fields.service,
        event=fields.event,
        event_filters=fields.event_filters,
        template=fields.template,
        url=fields.url,
        signing_key=box.encrypt(signing_key or signing.new_secret()),
        status=ACTIVE,
        created_at=now,
        updated_at=now,
    )
    session.add(subscription)
    await session.flush()
    return subscription


async def get_subscription(
    session: AsyncSession, account_id: str, sub_account_id: str, subscription_id: str
) -> WebhookSubscription:
    subscription = await session.get(WebhookSubscription, subscription_id)
    if (
        subscription is None
        or subscription.account_id != account_id
        or subscription.sub_account_id != sub_account_id
    ):
        raise NotFound("Webhook subscription not found.")
    return subscription


async def list_subscriptions(
    session: AsyncSession, account_id: str, sub_account_id: str, limit: int, after: str | None
) -> Page[WebhookSubscription]:
    stmt = repository.subscriptions_query(account_id, sub_account_id)
    return await paginate(session, stmt, WebhookSubscription.id, limit, after)


async def update_subscription(
    session: AsyncSession,
    box: SecretBox,
    settings: Settings,
    subscription: WebhookSubscription,
    changes: dict[str, Any],
) -> WebhookSubscription:
    """Apply the given fields; ``status: active`` re-enables a subscription disabled by 410."""
    now = clock.now()
    if "url" in changes:
        subscription.url = targets.validate(changes["url"], settings, "url")
    for name in ("service", "event", "event_filters", "template"):
        if name in changes:
            setattr(subscription, name, changes[name])
    if changes.get("signing_key") is not None:
        _check_signing_key(changes["signing_key"])
        subscription.signing_key = box.encrypt(changes["signing_key"])
    status = changes.get("status")
    if status == ACTIVE:
        subscription.status, subscription.disabled_at = ACTIVE, None
    elif status == DISABLED and subscription.status != DISABLED:
        subscription.status, subscription.disabled_at = DISABLED, now
    subscription.updated_at = now
    await session.flush()
    return subscription


async def delete_subscription(session: AsyncSession, subscription: WebhookSubscription) -> None:
    await session.delete(subscription)
    await session.flush()


# -- events and the delivery log ----------------------------------------------------------------


async def get_event(session: AsyncSession, who: Principal, event_id: str) -> Event:
    event = await session.get(Event, event_id)
    if event is None or not who.sees(event.account_id, event.sub_account_id, event.project_id):
        raise NotFound("Event not found.")
    return event


async def list_events(
    session: AsyncSession,
    who: Principal,
    *,
    type: str | None,
    project_id: str | None,
    limit: int,
    after: str | None,
) -> Page[Event]:
    if who.project_id and project_id not in (None, who.project_id):
        return Page([], None)
    stmt = repository.events_query(
        who.account,
        sub_account_id=who.sub_account_id,
        project_id=who.project_id or project_id,
        type=type,
    )
    return await paginate(session, stmt, Event.id, limit, after)


async def list_deliveries(
    session: AsyncSession,
    account_id: str,
    *,
    project_id: str | None,
    event_id: str | None,
    limit: int,
    after: str | None,
) -> Page[WebhookDelivery]:
    """The delivery log, newest first (the caller has checked the project or event)."""
    stmt = repository.deliveries_query(account_id, project_id=project_id, event_id=event_id)
    return await paginate(session, stmt, WebhookDelivery.id, limit, after)
