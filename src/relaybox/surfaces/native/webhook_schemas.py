"""Wire shapes of the native webhook routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from relaybox.crypto import SecretBox
from relaybox.surfaces.native.schemas import Strict
from relaybox.webhooks.delivery import Route
from relaybox.webhooks.models import Event, WebhookDelivery, WebhookSettings
from relaybox.webhooks.targets import MAX_URL_LENGTH

OVERLAP_MAX = 7 * 24 * 3600


class ProjectWebhooksIn(Strict):
    status_url: str | None = Field(
        default=None,
        max_length=MAX_URL_LENGTH,
        description="Receives delivery status changes and every other event type; null = none.",
    )
    inbound_url: str | None = Field(
        default=None, max_length=MAX_URL_LENGTH, description="Receives inbound SMS; null = none."
    )


class RotateSecretIn(Strict):
    overlap_seconds: int = Field(
        default=86400,
        ge=0,
        le=OVERLAP_MAX,
        description="How long the previous secret keeps signing beside the new one.",
    )


class ProjectWebhooksOut(BaseModel):
    project_id: str
    status_url: str | None
    status_url_disabled_at: datetime | None = Field(
        description="Set when the URL answered 410 Gone; saving the settings re-enables it."
    )
    inbound_url: str | None
    inbound_url_disabled_at: datetime | None
    secret: str | None = Field(description="whsec_… signing secret; shown to admin keys only.")
    previous_secret_expires_at: datetime | None = Field(
        description="Until then the previous secret also signs (rotation overlap)."
    )
    updated_at: datetime


def project_webhooks_out(
    row: WebhookSettings, box: SecretBox, *, admin: bool, now: datetime
) -> ProjectWebhooksOut:
    return ProjectWebhooksOut(
        project_id=row.project_id or "",
        status_url=row.status_url,
        status_url_disabled_at=row.status_url_disabled_at,
        inbound_url=row.inbound_url,
        inbound_url_disabled_at=row.inbound_url_disabled_at,
        secret=box.decrypt(row.secret) if admin else None,
        previous_secret_expires_at=_overlap(row, now),
        updated_at=row.updated_at,
    )


class AccountWebhooksOut(BaseModel):
    secret: str = Field(description="Signs per-message callbacks of traffic without a project.")
    previous_secret_expires_at: datetime | None
    updated_at: datetime


def account_webhooks_out(row: WebhookSettings, box: SecretBox, now: datetime) -> AccountWebhooksOut:
    return AccountWebhooksOut(
        secret=box.decrypt(row.secret),
        previous_secret_expires_at=_overlap(row, now),
        updated_at=row.updated_at,
    )


def _overlap(row: WebhookSettings, now: datetime) -> datetime | None:
    expires = row.previous_secret_expires_at
    return expires if row.previous_secret and expires is not None and expires > now else None


class EventOut(BaseModel):
    id: str
    type: str
    sub_account_id: str | None
    project_id: str | None
    url: str | None = Field(description="The per-message callback URL, when the event has one.")
    payload: dict[str, Any] = Field(description="The exact JSON body receivers get.")
    created_at: datetime


def event_out(e: Event) -> EventOut:
    return EventOut(
        id=e.id,
        type=e.type,
        sub_account_id=e.sub_account_id,
        project_id=e.project_id,
        url=e.url,
        payload=e.payload,
        created_at=e.created_at,
    )


class DeliveryOut(BaseModel):
    id: str
    event_id: str
    project_id: str | None
    target: str = Field(description="status, inbound, callback or subscription")
    subscription_id: str | None
    url: str
    attempt: int
    redelivery: bool
    outcome: str = Field(description="succeeded, retrying, failed or gave_up")
    status_code: int | None
    error: str | None
    latency_ms: int | None
    response_body: str | None = Field(description="The first 2 KB of the response body.")
    next_attempt_at: datetime | None
    created_at: datetime


def delivery_out(d: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut.model_validate(d, from_attributes=True)


class RouteOut(BaseModel):
    target: str
    url: str
    subscription_id: str | None


class RedeliverOut(BaseModel):
    event_id: str
    scheduled: list[RouteOut]


def redeliver_out(event_id: str, routes: list[Route]) -> RedeliverOut:
    return RedeliverOut(
        event_id=event_id,
        scheduled=[
            RouteOut(target=r.target, url=r.url, subscription_id=r.subscription_id) for r in routes
        ],
    )
