"""Tenancy: accounts own sub-accounts; projects belong to a sub-account; keys authenticate."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base

ACTIVE, SUSPENDED = "active", "suspended"


class Account(Base):
    """A customer (spec 004: organization)."""

    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=ACTIVE)
    # ISO country codes this account may message; None means every country.
    geo_permissions: Mapped[list[str] | None]
    created_at: Mapped[datetime]
    suspended_at: Mapped[datetime | None]


class SubAccount(Base):
    """A partition of an account (spec 004: workspace)."""

    __tablename__ = "sub_accounts"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]


class Project(Base):
    """An application sending traffic (spec 000)."""

    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    sub_account_id: Mapped[str] = mapped_column(ForeignKey("sub_accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    otp_code_length: Mapped[int] = mapped_column(default=6, server_default="6")
    # SHA-256 of the secret the SMS pipeline uses on POST /v1/projects/:id/sms/inbound
    pipeline_secret_hash: Mapped[str | None] = mapped_column(String(64))


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # None only for operator keys, which manage accounts and never act inside one.
    account_id: Mapped[str | None] = mapped_column(ForeignKey("accounts.id"))
    sub_account_id: Mapped[str | None] = mapped_column(ForeignKey("sub_accounts.id"))
    project_id: Mapped[str | None] = mapped_column(ForeignKey("projects.id"))
    name: Mapped[str] = mapped_column(String(200), default="")
    mode: Mapped[str] = mapped_column(String(8))  # live | test
    scope: Mapped[str] = mapped_column(String(16))  # read | deploy | admin | operator
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hint: Mapped[str] = mapped_column(String(32))
    allowed_cidrs: Mapped[list[str] | None]
    rate_limit_per_minute: Mapped[int | None]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    replaced_by_id: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_api_keys_account_id", "account_id"),)
