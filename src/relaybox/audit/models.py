from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base


class Activity(Base):
    """One mutating API call: who, what, on which resource, with what result."""

    __tablename__ = "activity"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str | None] = mapped_column(String(40))
    sub_account_id: Mapped[str | None] = mapped_column(String(40))
    project_id: Mapped[str | None] = mapped_column(String(40))
    key_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(8))
    path: Mapped[str] = mapped_column(String(500))
    resource_id: Mapped[str | None] = mapped_column(String(100))
    status_code: Mapped[int]
    request_id: Mapped[str] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]

    __table_args__ = (Index("ix_activity_account_id_id", "account_id", "id"),)
