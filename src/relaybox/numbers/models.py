"""Number tables: the purchasable stock, owned numbers, port-in orders."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base

# stock states
AVAILABLE, SOLD, QUARANTINED = "available", "sold", "quarantined"
# owned number states
ACTIVE, PORTING, RELEASED = "active", "porting", "released"


class StockItem(Base):
    """A number that can be bought (spec 004: a number stock item).

    Reservations are leases: ``reserved_until`` in the future keeps the item for one workspace;
    an expired reservation needs no clean-up.
    """

    __tablename__ = "number_stock"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    e164: Mapped[str] = mapped_column(String(20), unique=True)  # short codes: bare digits
    country: Mapped[str] = mapped_column(String(2))
    type: Mapped[str] = mapped_column(String(16))  # local | mobile | toll_free | short_code
    sms: Mapped[bool]
    mms: Mapped[bool]
    voice: Mapped[bool]
    monthly_price: Mapped[int] = mapped_column(BigInteger)  # micro-units
    currency: Mapped[str] = mapped_column(String(3))
    carrier: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(16))  # simulator | csv | released
    status: Mapped[str] = mapped_column(String(16))  # available | sold | quarantined
    reserved_by: Mapped[str | None] = mapped_column(String(40))  # a sub-account
    reserved_until: Mapped[datetime | None]
    available_at: Mapped[datetime | None]  # end of a quarantine
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_number_stock_search", "status", "country", "type", "e164"),)

    @property
    def capabilities(self) -> list[str]:
        return [c for c in ("sms", "mms", "voice") if getattr(self, c)]


class PhoneNumber(Base):
    """A number an account holds: bought, being ported in, or released (kept for history)."""

    __tablename__ = "phone_numbers"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    sub_account_id: Mapped[str | None] = mapped_column(String(40))
    project_id: Mapped[str | None] = mapped_column(String(40), index=True)
    e164: Mapped[str] = mapped_column(String(20), index=True)
    # e164 while the number is held (active or porting), NULL once released: unique, so one
    # number is held by at most one account at a time.
    held_e164: Mapped[str | None] = mapped_column(String(20), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    type: Mapped[str] = mapped_column(String(16))
    sms: Mapped[bool]
    mms: Mapped[bool]
    voice: Mapped[bool]
    status: Mapped[str] = mapped_column(String(16))  # active | porting | released
    source: Mapped[str] = mapped_column(String(16))  # purchase | port_in
    stock_id: Mapped[str | None] = mapped_column(String(40))
    carrier: Mapped[str] = mapped_column(String(40))
    monthly_price: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]
    released_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_phone_numbers_account_id_id", "account_id", "id"),)

    @property
    def capabilities(self) -> list[str]:
        return [c for c in ("sms", "mms", "voice") if getattr(self, c)]


class PortOrder(Base):
    """Moving a number from another carrier to us (domain/porting.py)."""

    __tablename__ = "port_orders"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    sub_account_id: Mapped[str | None] = mapped_column(String(40))
    number_id: Mapped[str] = mapped_column(String(40), index=True)
    e164: Mapped[str] = mapped_column(String(20))
    losing_carrier: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    foc_date: Mapped[datetime | None]
    carrier_released_at: Mapped[datetime | None]  # the losing carrier let the number go
    exception_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_port_orders_account_id_id", "account_id", "id"),)


class ProjectSms(Base):
    """SMS activated on a project (spec 000): its number and the key injected into its env."""

    __tablename__ = "project_sms"

    project_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    number_id: Mapped[str | None] = mapped_column(String(40), index=True)  # None: released
    key_id: Mapped[str | None] = mapped_column(String(40))  # CANTILA_SMS_API_KEY's key
    activated_at: Mapped[datetime]
    updated_at: Mapped[datetime]
