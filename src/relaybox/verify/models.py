from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base, BigId


class Verification(Base):
    """One OTP verification of a number for a project (one in flight per number and project)."""

    __tablename__ = "verifications"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    sub_account_id: Mapped[str | None] = mapped_column(String(40))
    project_id: Mapped[str | None] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(20))
    country: Mapped[str | None] = mapped_column(String(2))
    channel: Mapped[str] = mapped_column(String(8))
    test: Mapped[bool]
    code_length: Mapped[int]
    salt: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    checks: Mapped[int]
    sends: Mapped[int]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_verifications_account_id_id", "account_id", "id"),
        # at most one pending verification per project and number, enforced by the database
        Index(
            "uq_verifications_pending",
            "project_id",
            "number",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )


class VerificationSend(Base):
    """One code sent (for the per-number send limit)."""

    __tablename__ = "verification_sends"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    verification_id: Mapped[str] = mapped_column(String(40))
    project_id: Mapped[str | None] = mapped_column(String(40))
    number: Mapped[str] = mapped_column(String(20))
    message_id: Mapped[str] = mapped_column(String(40))
    sent_at: Mapped[datetime]

    __table_args__ = (Index("ix_verification_sends_number", "project_id", "number", "sent_at"),)
