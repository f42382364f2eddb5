"""Wire shapes of the native numbers, wallet and rates routes (snake_case, ISO-8601 UTC)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from relaybox.billing.models import LedgerEntry, Subscription
from relaybox.billing.service import Balances
from relaybox.domain import porting as rules
from relaybox.domain.money import Money
from relaybox.errors import ValidationFailed
from relaybox.numbers.models import PhoneNumber, PortOrder, StockItem
from relaybox.rates.service import Rate


def money(amount: int, currency: str) -> str:
    """An exact decimal string in the currency's units (more decimals when needed)."""
    return Money(amount, currency).format()


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CatalogItemOut(BaseModel):
    id: str
    number: str
    country: str
    type: str
    capabilities: list[str]
    monthly_price: str
    currency: str


def catalog_item_out(item: StockItem) -> CatalogItemOut:
    return CatalogItemOut(
        id=item.id,
        number=item.e164,
        country=item.country,
        type=item.type,
        capabilities=item.capabilities,
        monthly_price=money(item.monthly_price, item.currency),
        currency=item.currency,
    )


class NumberOut(BaseModel):
    id: str
    number: str
    country: str
    type: str
    capabilities: list[str]
    status: str  # active | porting | released
    source: str  # purchase | port_in
    sub_account_id: str | None
    project_id: str | None
    monthly_price: str
    currency: str
    billing_status: str | None  # active | past_due | ended
    next_billing_at: datetime | None
    created_at: datetime
    activated_at: datetime | None
    released_at: datetime | None


def number_out(n: PhoneNumber, sub: Subscription | None = None) -> NumberOut:
    return NumberOut(
        id=n.id,
        number=n.e164,
        country=n.country,
        type=n.type,
        capabilities=n.capabilities,
        status=n.status,
        source=n.source,
        sub_account_id=n.sub_account_id,
        project_id=n.project_id,
        monthly_price=money(n.monthly_price, n.currency),
        currency=n.currency,
        billing_status=sub.status if sub else None,
        next_billing_at=sub.paid_through if sub and sub.status != "ended" else None,
        created_at=n.created_at,
        activated_at=n.activated_at,
        released_at=n.released_at,
    )


class PurchaseIn(Strict):
    """A specific ``number`` from the catalog, or the first match of the filters."""

    number: str | None = Field(default=None, max_length=20, description="E.164, from the catalog")
    country: str | None = Field(default=None, min_length=2, max_length=2)
    type: str | None = Field(
        default=None,
        max_length=16,
        validation_alias=AliasChoices("type", "number_type", "numberType"),
        description="local | mobile | toll_free | short_code",
    )
    area_code: str | None = Field(default=None, max_length=6)
    prefix: str | None = Field(default=None, max_length=16)
    contains: str | None = Field(default=None, max_length=16)
    capabilities: list[str] | None = Field(default=None, max_length=3)
    sub_account_id: str | None = Field(default=None, max_length=60)
    project_id: str | None = Field(default=None, max_length=60)

    @model_validator(mode="after")
    def number_or_country(self) -> PurchaseIn:
        if not self.number and not self.country:
            raise ValueError("give a number from the catalog, or a country to take the first match")
        return self


class PortInIn(Strict):
    number: str = Field(min_length=2, max_length=20, description="E.164")
    carrier: str = Field(min_length=1, max_length=100, description="The current carrier")
    sub_account_id: str | None = Field(default=None, max_length=60)


class PortOrderOut(BaseModel):
    id: str
    number_id: str
    number: str
    carrier: str
    status: str
    sub_account_id: str | None
    foc_date: datetime | None
    cancel_cutoff: datetime | None
    carrier_released_at: datetime | None
    exception_reason: str | None
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None


def port_order_out(o: PortOrder) -> PortOrderOut:
    return PortOrderOut(
        id=o.id,
        number_id=o.number_id,
        number=o.e164,
        carrier=o.losing_carrier,
        status=o.status,
        sub_account_id=o.sub_account_id,
        foc_date=o.foc_date,
        cancel_cutoff=rules.cancel_cutoff(o.foc_date),
        carrier_released_at=o.carrier_released_at,
        exception_reason=o.exception_reason,
        created_at=o.created_at,
        updated_at=o.updated_at,
        completed_at=o.completed_at,
    )


class TransferIn(Strict):
    sub_account_id: str = Field(
        min_length=1,
        max_length=60,
        validation_alias=AliasChoices("subAccountId", "sub_account_id"),
        description="The sub-account to move the number to",
    )


# -- wallet ----------------------------------------------------------------------------------


class BalanceOut(BaseModel):
    currency: str
    balance: str
    sip_balance: str
    held: str  # reserved for messages in flight: already excluded from balance


def balance_out(b: Balances) -> BalanceOut:
    return BalanceOut(
        currency=b.currency,
        balance=money(b.balance, b.currency),
        sip_balance=money(b.sip_balance, b.currency),
        held=money(b.held, b.currency),
    )


class WalletOut(BaseModel):
    account_id: str
    currency: str
    balance: str
    sip_balance: str
    held: str
    balances: list[BalanceOut]


class LedgerEntryOut(BaseModel):
    id: str
    kind: str
    bucket: str
    amount: str
    balance_after: str
    currency: str
    ref: str | None
    number_id: str | None
    period: str | None
    description: str
    created_at: datetime


def ledger_entry_out(e: LedgerEntry) -> LedgerEntryOut:
    return LedgerEntryOut(
        id=e.id,
        kind=e.kind,
        bucket=e.bucket,
        amount=money(e.amount, e.currency),
        balance_after=money(e.balance_after, e.currency),
        currency=e.currency,
        ref=e.ref,
        number_id=e.number_id,
        period=e.period,
        description=e.description,
        created_at=e.created_at,
    )


Amount = Decimal | str | float | int
MAX_TOP_UP = 1_000_000


class TopUpIn(Strict):
    amount: Amount = Field(description='In currency units, e.g. 25 or "25.00"')
    currency: str = Field(default="USD", min_length=3, max_length=3)
    description: str | None = Field(default=None, max_length=200)


class RateIn(Strict):
    sms: Amount = Field(description="Price per SMS segment, e.g. 0.0079")
    voice: Amount = Field(description="Price per voice minute")
    currency: str = Field(default="USD", min_length=3, max_length=3)
    route_label: str = Field(default="standard", min_length=1, max_length=40)


class RateOut(BaseModel):
    country: str
    iso_code: str
    sms: float
    voice: float
    currency: str
    route_label: str
    account_specific: bool


def rate_out(r: Rate) -> RateOut:
    return RateOut(
        country=r.name,
        iso_code=r.country,
        sms=Money(r.sms_price, r.currency).as_float(),
        voice=Money(r.voice_price, r.currency).as_float(),
        currency=r.currency,
        route_label=r.route_label,
        account_specific=r.source == "account",
    )


def parse_amount(value: Any, currency: str, field: str, *, positive: bool = True) -> int:
    """Exact micro-units of a decimal amount (422 naming ``field`` if it is not one)."""
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Money.parse(value, currency).amount
    except ValueError as exc:
        raise ValidationFailed.field(field, str(exc)) from None
    if amount < 0 or (positive and amount == 0):
        raise ValidationFailed.field(field, f"{field} must be positive")
    return amount
