from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base

# Delivery targets: a project's two URLs, a per-message callback URL, a Bird subscription.
STATUS, INBOUND, CALLBACK, SUBSCRIPTION = "status", "inbound", "callback", "subscription"
# Outcome of one attempt.
SUCCEEDED, RETRYING, FAILED, GAVE_UP = "succeeded", "retrying", "failed", "gave_up"
# Bird subscription status.
ACTIVE, DISABLED = "active", "disabled"


class Event(Base):
    """Something a customer may want to hear about. Its id is the webhook id across retries."""

    __tablename__ = "events"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    sub_account_id: Mapped[str | None] = mapped_column(String(40))
    project_id: Mapped[str | None] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(100))  # e.g. sms.status, sms.inbound, number.port
    payload: Mapped[dict[str, Any]]  # the exact JSON body receivers get
    url: Mapped[str | None] = mapped_column(Text)  # one-off target (per-message callback)
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_events_account_id_id", "account_id", "id"),)


class WebhookSettings(Base):
    """A project's webhook URLs and signing secret; with no project, the account's default secret.

    Secrets are encrypted with the server key. During a rotation the previous secret keeps
    signing (beside the new one) until ``previous_secret_expires_at``. A URL that answered
    410 Gone carries a ``*_disabled_at`` time and gets nothing until an admin saves it again.
    """

    __tablename__ = "webhook_settings"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    owner_id: Mapped[str] = mapped_column(String(40), unique=True)  # project id or account id
    status_url: Mapped[str | None] = mapped_column(Text)
    status_url_disabled_at: Mapped[datetime | None]
    inbound_url: Mapped[str | None] = mapped_column(Text)
    inbound_url_disabled_at: Mapped[datetime | None]
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class WebhookSubscription(Base):
    """A spec 004 (Bird) webhook subscription of a workspace (our sub-account)."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    sub_account_id: Mapped[str] = mapped_column(ForeignKey("sub_accounts.id"))
    service: Mapped[str] = mapped_column(String(50))
    event: Mapped[str] = mapped_column(String(100))  # Bird's name, e.g. sms.outbound
    event_filters: Mapped[list[dict[str, Any]]]  # [{"key": ..., "value": ...}], AND-ed
    template: Mapped[str | None] = mapped_column(String(50))
    url: Mapped[str] = mapped_column(Text)
    signing_key: Mapped[str] = mapped_column(Text)  # encrypted
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    disabled_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_webhook_subscriptions_account_sub", "account_id", "sub_account_id", "id"),
    )


class WebhookDelivery(Base):
    """One attempt to deliver one event to one target (the delivery log)."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(40))
    account_id: Mapped[str] = mapped_column(String(40))
    sub_account_id: Mapped[str | None] = mapped_column(String(40))
    project_id: Mapped[str | None] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(16))  # status | inbound | callback | subscription
    subscription_id: Mapped[str | None] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(Text)
    attempt: Mapped[int]
    redelivery: Mapped[bool] = mapped_column(default=False)
    outcome: Mapped[str] = mapped_column(String(16))  # succeeded | retrying | failed | gave_up
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[int | None]
    response_body: Mapped[str | None] = mapped_column(Text)  # first 2 KB
    next_attempt_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    __table_args__ = (
        Index("ix_webhook_deliveries_account_project_id", "account_id", "project_id", "id"),
        Index("ix_webhook_deliveries_event_id_id", "event_id", "id"),
    )
