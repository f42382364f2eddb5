"""A project's environment: variables injected by capabilities (SMS activation), read by deploys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base


class EnvVar(Base):
    """One variable. Values are encrypted at rest with the server key (runtime.box); a secret
    one (an API key) is shown only to keys that hold its scope."""

    __tablename__ = "project_env"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    value_encrypted: Mapped[str] = mapped_column(Text)
    secret: Mapped[bool]
    # the scope a key needs to read a secret value (the scope of the key it holds)
    secret_scope: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # who injected it: sms
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
