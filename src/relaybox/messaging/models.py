"""SMS tables: outbound messages, their carrier ids, raw carrier events, inbound, opt-outs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base, BigId


class Message(Base):
    """An outbound SMS. Status moves only forward (domain/status.py)."""

    __tablename__ = "sms_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    sub_account_id: Mapped[str | None] = mapped_column(String(40))
    project_id: Mapped[str | None] = mapped_column(String(40))
    key_id: Mapped[str | None] = mapped_column(String(40))
    test: Mapped[bool]  # sandbox traffic: simulator only, never billed
    surface: Mapped[str] = mapped_column(String(16))  # native | smsvoip | verify | usecase | otp
    kind: Mapped[str] = mapped_column(String(16), default="message")  # message | otp | auto_reply
    to: Mapped[str] = mapped_column(String(20))
    sender: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    encoding: Mapped[str] = mapped_column(String(8))
    segments: Mapped[int]
    country: Mapped[str | None] = mapped_column(String(2))
    network: Mapped[str | None] = mapped_column(String(100))
    mccmnc: Mapped[str | None] = mapped_column(String(6))
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    price: Mapped[int]  # micro-units (domain/money.py)
    currency: Mapped[str] = mapped_column(String(3))
    carrier: Mapped[str | None] = mapped_column(String(40))
    carrier_message_id: Mapped[str | None] = mapped_column(String(100))
    receipts: Mapped[bool] = mapped_column(default=True)
    callback_url: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[dict[str, Any] | None]  # the request's own parameters (spec 003 "payload")
    goal: Mapped[str | None] = mapped_column(String(100))
    goal_at: Mapped[datetime | None]
    # The job attempt after which a retry is known to be safe (the previous attempt certainly
    # did not reach the carrier). Any other retry first asks the carrier (adapter.recover).
    clean_attempt: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    handed_off_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]
    errored_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_sms_messages_account_id_id", "account_id", "id"),
        Index("ix_sms_messages_project_id_id", "project_id", "id"),
        Index("ix_sms_messages_sender_to", "sender", "to"),
    )


class CarrierRef(Base):
    """A carrier's id for (a part of) a message: receipts on any bind or process match here."""

    __tablename__ = "sms_carrier_refs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    carrier: Mapped[str] = mapped_column(String(40))
    carrier_message_id: Mapped[str] = mapped_column(String(100))
    message_id: Mapped[str] = mapped_column(String(40), index=True)
    part: Mapped[int]
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[int | None]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("carrier", "carrier_message_id"),)


class CarrierEvent(Base):
    """What a carrier told us, stored raw before it is applied (duplicates are no-ops)."""

    __tablename__ = "carrier_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    carrier: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # receipt | inbound
    carrier_message_id: Mapped[str | None] = mapped_column(String(100))
    data: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    applied_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("carrier", "external_id"),
        Index("ix_carrier_events_pending", "carrier", "carrier_message_id", "applied_at"),
        # receipts stored but not applied yet (their submit result was not recorded then)
        Index(
            "ix_carrier_events_unapplied",
            "id",
            sqlite_where=text("applied_at IS NULL"),
            postgresql_where=text("applied_at IS NULL"),
        ),
    )


class InboundMessage(Base):
    """A mobile-originated SMS to one of our numbers."""

    __tablename__ = "sms_inbound"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    sub_account_id: Mapped[str | None] = mapped_column(String(40))
    project_id: Mapped[str | None] = mapped_column(String(40))
    test: Mapped[bool]
    sender: Mapped[str] = mapped_column(String(20))
    to: Mapped[str] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    parts: Mapped[int]
    keyword: Mapped[str | None] = mapped_column(String(16))
    carrier: Mapped[str] = mapped_column(String(40))
    external_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("carrier", "external_id"),
        Index("ix_sms_inbound_account_id_id", "account_id", "id"),
        Index("ix_sms_inbound_project_id_id", "project_id", "id"),
    )


class InboundPart(Base):
    """One part of a multipart MO, kept until every part has arrived."""

    __tablename__ = "sms_inbound_parts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    carrier: Mapped[str] = mapped_column(String(40))
    sender: Mapped[str] = mapped_column(String(20))
    to: Mapped[str] = mapped_column(String(20))
    concat_ref: Mapped[str] = mapped_column(String(40))
    part_total: Mapped[int]
    part_seq: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("carrier", "sender", "to", "concat_ref", "part_total", "part_seq"),
    )


class OptOut(Base):
    """A recipient who said STOP. Scope: a project, or a sender number outside any project."""

    __tablename__ = "sms_opt_outs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(String(40))
    scope: Mapped[str] = mapped_column(String(64))  # project:<id> | sender:<e164>
    number: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(String(16))  # keyword | api
    keyword: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("account_id", "scope", "number"),)
