"""Spec 001: GET /api/v1/rates — public list prices, or the caller's own with a key."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from relaybox.accounts.principal import Principal
from relaybox.http.deps import RuntimeDep
from relaybox.http.surface import OPTIONAL_KEY, route_class
from relaybox.http.surfaces import SMSVOIP
from relaybox.rates import service as rates
from relaybox.surfaces.native.numbers_schemas import RateOut, rate_out

router = APIRouter(route_class=route_class(SMSVOIP), tags=["sms & voice platform"])


class RatesOut(BaseModel):
    pricing: str  # list | account
    rates: list[RateOut]


@router.get("/api/v1/rates", response_model=RatesOut, openapi_extra=OPTIONAL_KEY)
async def list_rates(
    request: Request,
    rt: RuntimeDep,
    country: Annotated[str | None, Query(min_length=2, max_length=2, description="ISO")] = None,
) -> Any:
    """Per destination country: SMS price per segment, voice price per minute, currency and
    route label. Without a key: list prices; with one: the account's prices."""
    who: Principal | None = getattr(request.state, "principal", None)
    account_id = who.account_id if who is not None else None
    async with rt.db.read() as s:
        found = await rates.list_rates(s, account_id, country)
    return RatesOut(pricing="account" if account_id else "list", rates=[rate_out(r) for r in found])
