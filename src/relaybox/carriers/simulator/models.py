"""The simulated network's own state (the carrier's side, not ours)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base


class SimMessage(Base):
    """A message on the simulated network: MT to a virtual handset, or MO from one."""

    __tablename__ = "sim_messages"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # the network's own id
    direction: Mapped[str] = mapped_column(String(4))  # mt | mo
    message_id: Mapped[str | None] = mapped_column(String(40), unique=True)  # ours, for MT
    account_id: Mapped[str | None] = mapped_column(String(40))
    handset: Mapped[str] = mapped_column(String(20))  # the virtual phone's number
    counterpart: Mapped[str] = mapped_column(String(20))  # who it talks to
    body: Mapped[str] = mapped_column(Text)
    segments: Mapped[int]
    outcome: Mapped[str] = mapped_column(String(24))
    submitted_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]  # when the handset got it (MT)
    duplicate_submits: Mapped[int] = mapped_column(default=0)  # must stay 0: never resubmit

    __table_args__ = (Index("ix_sim_messages_handset_id", "handset", "id"),)


class SimThrottle(Base):
    """How many more submits to a number the network will throttle (the throttling outcome)."""

    __tablename__ = "sim_throttles"

    message_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    remaining: Mapped[int]
