"""Spec 001: POST /api/v1/voip/topup — move funds from the app wallet to the SIP balance."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.billing import service as wallet
from relaybox.domain.money import Money
from relaybox.errors import ValidationFailed
from relaybox.http.deps import AccountCallerDep, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import SMSVOIP
from relaybox.numbers.service import ensure_live
from relaybox.surfaces.native.numbers_schemas import Amount, parse_amount

router = APIRouter(route_class=route_class(SMSVOIP), tags=["sms & voice platform"])
MAX_SIP_TOPUP = 100_000


class TopUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    amount: Amount = Field(description="Amount to move, in the wallet currency (e.g. 25)")
    currency: str = Field(default="USD", min_length=3, max_length=3)


class TopUpOut(BaseModel):
    status: str
    transaction_id: str
    amount: float
    currency: str
    wallet_balance: float
    sip_balance: float


@router.post("/api/v1/voip/topup", response_model=TopUpOut, openapi_extra=requires("admin"))
async def topup(body: TopUpIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Refused with 403 (insufficient funds) when the app wallet cannot cover it."""
    currency = body.currency.upper()
    amount = parse_amount(body.amount, currency, "amount")
    if amount > MAX_SIP_TOPUP * 10**6:
        raise ValidationFailed.field("amount", f"at most {MAX_SIP_TOPUP} at a time")
    ensure_live(who, "move money")

    async def work(s: AsyncSession) -> Any:
        out, into = await wallet.sip_top_up(s, who.account, amount, currency)
        return TopUpOut(
            status="ok",
            transaction_id=out.ref or out.id,
            amount=Money(amount, currency).as_float(),
            currency=currency,
            wallet_balance=Money(
                await wallet.balance(s, who.account, currency), currency
            ).as_float(),
            sip_balance=Money(into.balance_after, currency).as_float(),
        )

    return await rt.db.write(work)
