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


class SmppSubmit(Base):
    """The SMPP adapter's submit journal: ``sending`` is committed before a message's first byte
    goes to a socket, ``sent`` (with the SMSC's ids) when its submit_sm_resp arrived. After a
    crash it tells a message that never left (no row: resubmit) from one the SMSC accepted (the
    result) from one that may or may not have arrived (``sending``: never resubmitted)."""

    __tablename__ = "smpp_submits"

    message_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[str] = mapped_column(String(10))  # sending | sent
    result: Mapped[str | None] = mapped_column(Text)  # JSON: carrier_message_id, part_ids, raw
    updated_at: Mapped[datetime] = mapped_column(index=True)
