"""Wallet tables. The ledger is append-only; a balance is always read from it.

Every ledger row carries ``seq`` (1, 2, 3, ... per account, currency and bucket) and
``balance_after`` (the previous row's plus this row's amount), written while the wallet row is
locked, so the balance is the last row's ``balance_after`` and always equals the sum of the
amounts (tests check both). ``(account_id, currency, bucket, seq)`` is unique: two writers that
somehow skipped the lock could not both append the same step.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from relaybox.storage.base import Base

APP, SIP = "app", "sip"  # the app wallet and the SIP (voice) balance

# ledger kinds
TOP_UP = "top_up"
NUMBER_SUBSCRIPTION = "number_subscription"
SMS_CHARGE = "sms_charge"
REFUND = "refund"
SIP_TOPUP = "sip_topup"
KINDS = (TOP_UP, NUMBER_SUBSCRIPTION, SMS_CHARGE, REFUND, SIP_TOPUP)

# hold states: held -> captured (a sms_charge row) -> refunded (a refund row); held -> released
HELD, CAPTURED, RELEASED, REFUNDED = "held", "captured", "released", "refunded"

# subscription states
ACTIVE, PAST_DUE, ENDED = "active", "past_due", "ended"


class Wallet(Base):
    """One row per account and currency: the lock every ledger write takes (never a counter)."""

    __tablename__ = "wallets"

    account_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    created_at: Mapped[datetime]


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    bucket: Mapped[str] = mapped_column(String(8))  # app | sip
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)  # micro-units, signed
    balance_after: Mapped[int] = mapped_column(BigInteger)
    ref: Mapped[str | None] = mapped_column(String(100))  # sms:<id>, a top-up reference, ...
    number_id: Mapped[str | None] = mapped_column(String(40))
    period: Mapped[str | None] = mapped_column(String(10))  # a subscription period's start date
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("account_id", "currency", "bucket", "seq"),
        # a number is charged once per period, however many workers bill it
        UniqueConstraint("number_id", "period"),
        Index("ix_ledger_entries_account_id_id", "account_id", "id"),
    )


class Hold(Base):
    """Funds reserved for a message. Open (held) holds are subtracted from the balance; the
    ledger gets a row only on capture (and a refund if a captured message then fails)."""

    __tablename__ = "wallet_holds"

    ref: Mapped[str] = mapped_column(String(100), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(40))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16))  # held | captured | released | refunded
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (Index("ix_wallet_holds_open", "account_id", "currency", "state"),)


class Subscription(Base):
    """A number's monthly charge. Period n starts n months after ``anchor`` (domain/periods)."""

    __tablename__ = "number_subscriptions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    number_id: Mapped[str] = mapped_column(String(40), unique=True)
    account_id: Mapped[str] = mapped_column(String(40), index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))  # active | past_due | ended
    anchor: Mapped[datetime]
    periods_paid: Mapped[int]
    paid_through: Mapped[datetime]  # the start of the first unpaid period
    past_due_since: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
