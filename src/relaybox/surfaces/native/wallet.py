"""Native wallet routes: balance and ledger; operator top-ups and rate edits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.accounts import service as accounts
from relaybox.billing import service as wallet
from relaybox.billing.models import KINDS
from relaybox.errors import ValidationFailed
from relaybox.http.deps import AccountCallerDep, LimitQuery, PageTokenQuery, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import NATIVE
from relaybox.rates import service as rates
from relaybox.surfaces.native.numbers_schemas import (
    MAX_TOP_UP,
    LedgerEntryOut,
    RateIn,
    RateOut,
    TopUpIn,
    WalletOut,
    balance_out,
    ledger_entry_out,
    parse_amount,
    rate_out,
)
from relaybox.surfaces.native.schemas import ListOf, page

router = APIRouter(route_class=route_class(NATIVE), tags=["wallet"])
OPERATOR = requires("operator")


@router.get("/v1/wallet", response_model=WalletOut, openapi_extra=requires("read"))
async def get_wallet(rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """The account's balances: the app wallet (what purchases and messages spend) and the SIP
    balance (voice), per currency; USD first-class."""
    async with rt.db.read() as s:
        return wallet_out(who.account, await wallet.balances(s, who.account))


def wallet_out(account_id: str, found: list[wallet.Balances]) -> WalletOut:
    main = balance_out(next(b for b in found if b.currency == wallet.DEFAULT_CURRENCY))
    return WalletOut(
        account_id=account_id,
        currency=main.currency,
        balance=main.balance,
        sip_balance=main.sip_balance,
        held=main.held,
        balances=[balance_out(b) for b in found],
    )


@router.get(
    "/v1/wallet/ledger", response_model=ListOf[LedgerEntryOut], openapi_extra=requires("read")
)
async def get_ledger(
    rt: RuntimeDep,
    who: AccountCallerDep,
    limit: LimitQuery = 20,
    page_token: PageTokenQuery = None,
    kind: Annotated[str | None, Query(pattern="^(" + "|".join(KINDS) + ")$")] = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
) -> Any:
    """Every movement of money, newest first: top_up, number_subscription, sms_charge,
    refund, sip_topup."""
    async with rt.db.read() as s:
        found = await wallet.ledger(s, who.account, limit, page_token, kind=kind, currency=currency)
    return page(found, ledger_entry_out)


# -- operator ------------------------------------------------------------------------------------


@router.post(
    "/v1/admin/accounts/{account_id}/top-up",
    status_code=201,
    response_model=LedgerEntryOut,
    openapi_extra=OPERATOR,
    tags=["operator"],
)
async def top_up(account_id: str, body: TopUpIn, rt: RuntimeDep) -> Any:
    """Credit an account's wallet (a ``top_up`` ledger row)."""
    amount = parse_amount(body.amount, body.currency, "amount")
    if amount > MAX_TOP_UP * 10**6:
        raise ValidationFailed.field("amount", f"at most {MAX_TOP_UP} at a time")

    async def work(s: AsyncSession) -> Any:
        await accounts.get_account(s, account_id)
        entry = await wallet.top_up(
            s, account_id, amount, body.currency, description=body.description or "Top-up"
        )
        return ledger_entry_out(entry)

    return await rt.db.write(work)


@router.put(
    "/v1/admin/rates/{country}", response_model=RateOut, openapi_extra=OPERATOR, tags=["operator"]
)
async def set_list_rate(country: str, body: RateIn, rt: RuntimeDep) -> Any:
    """Set a destination's list price (replaces the built-in one)."""
    sms = parse_amount(body.sms, body.currency, "sms", positive=False)
    voice = parse_amount(body.voice, body.currency, "voice", positive=False)

    async def work(s: AsyncSession) -> Any:
        rate = await rates.set_list_rate(
            s, country, sms=sms, voice=voice, currency=body.currency, route_label=body.route_label
        )
        return rate_out(rate)

    return await rt.db.write(work)


@router.put(
    "/v1/admin/accounts/{account_id}/rates/{country}",
    response_model=RateOut,
    openapi_extra=OPERATOR,
    tags=["operator"],
)
async def set_account_rate(account_id: str, country: str, body: RateIn, rt: RuntimeDep) -> Any:
    """Give one account its own price for a destination."""
    sms = parse_amount(body.sms, body.currency, "sms", positive=False)
    voice = parse_amount(body.voice, body.currency, "voice", positive=False)

    async def work(s: AsyncSession) -> Any:
        await accounts.get_account(s, account_id)
        rate = await rates.set_account_rate(
            s,
            account_id,
            country,
            sms=sms,
            voice=voice,
            currency=body.currency,
            route_label=body.route_label,
        )
        return rate_out(rate)

    return await rt.db.write(work)


@router.delete(
    "/v1/admin/accounts/{account_id}/rates/{country}",
    status_code=204,
    response_class=Response,
    openapi_extra=OPERATOR,
    tags=["operator"],
)
async def delete_account_rate(account_id: str, country: str, rt: RuntimeDep) -> Response:
    """Remove an account's own price: the list price applies again."""

    async def work(s: AsyncSession) -> None:
        await accounts.get_account(s, account_id)
        await rates.delete_account_rate(s, account_id, country)

    await rt.db.write(work)
    return Response(status_code=204)


@router.get(
    "/v1/admin/accounts/{account_id}/wallet",
    response_model=WalletOut,
    openapi_extra=OPERATOR,
    tags=["operator"],
)
async def get_account_wallet(account_id: str, rt: RuntimeDep) -> Any:
    async with rt.db.read() as s:
        await accounts.get_account(s, account_id)
        return wallet_out(account_id, await wallet.balances(s, account_id))
