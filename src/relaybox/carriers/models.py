"""Live carrier connections an operator configured (``relaybox carriers smpp add``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base


class CarrierConnection(Base):
    __tablename__ = "carrier_connections"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # the adapter: smpp
    name: Mapped[str] = mapped_column(String(40), unique=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int]
    username: Mapped[str] = mapped_column(String(64))  # SMPP system_id
    password_encrypted: Mapped[str] = mapped_column(Text)  # SecretBox; never plaintext
    options: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
