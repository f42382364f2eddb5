"""Rate tables. Built-in list prices live in rates/catalog.py; these rows override them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base


class ListRate(Base):
    """An operator's list price for a destination country (replaces the built-in one)."""

    __tablename__ = "rates"

    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    sms_price: Mapped[int] = mapped_column(BigInteger)  # micro-units per segment
    voice_price: Mapped[int] = mapped_column(BigInteger)  # micro-units per minute
    currency: Mapped[str] = mapped_column(String(3))
    route_label: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime]


class AccountRate(Base):
    """An account's own price for a destination country."""

    __tablename__ = "account_rates"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    country: Mapped[str] = mapped_column(String(2), primary_key=True)
    sms_price: Mapped[int] = mapped_column(BigInteger)
    voice_price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    route_label: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime]
