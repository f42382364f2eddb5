"""Native numbers routes (spec 000): catalog, buy, list, get, release, port-in, transfer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.billing.models import Subscription
from relaybox.domain import inventory
from relaybox.errors import Forbidden
from relaybox.http.deps import AccountCallerDep, LimitQuery, PageTokenQuery, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import NATIVE
from relaybox.numbers import porting, stock
from relaybox.numbers import service as numbers
from relaybox.numbers.models import PhoneNumber
from relaybox.surfaces.native.numbers_schemas import (
    CatalogItemOut,
    NumberOut,
    PortInIn,
    PortOrderOut,
    PurchaseIn,
    TransferIn,
    catalog_item_out,
    number_out,
    port_order_out,
)
from relaybox.surfaces.native.schemas import ListOf, page

router = APIRouter(route_class=route_class(NATIVE), tags=["numbers"])
ListQuery = Annotated[list[str] | None, Query(description="Repeat or comma-separate")]
StatusQuery = Annotated[
    str | None,
    Query(pattern="^(active|porting|released|all)$", description="Default: active and porting"),
]


async def _with_billing(s: AsyncSession, items: list[PhoneNumber]) -> list[NumberOut]:
    ids = [n.id for n in items]
    subs = {
        sub.number_id: sub
        for sub in (
            await s.execute(select(Subscription).where(Subscription.number_id.in_(ids)))
        ).scalars()
    }
    return [number_out(n, subs.get(n.id)) for n in items]


async def one(s: AsyncSession, number: PhoneNumber) -> NumberOut:
    return (await _with_billing(s, [number]))[0]


@router.get("/v1/numbers", response_model=ListOf[NumberOut], openapi_extra=requires("read"))
async def list_numbers(
    rt: RuntimeDep,
    who: AccountCallerDep,
    limit: LimitQuery = 20,
    page_token: PageTokenQuery = None,
    status: StatusQuery = None,
    sub_account_id: Annotated[str | None, Query(max_length=60)] = None,
) -> Any:
    """The account's numbers, newest first (``status=all`` includes released ones)."""
    async with rt.db.read() as s:
        found = await numbers.list_numbers(
            s, who, limit, page_token, sub_account_id=sub_account_id, status=status
        )
        return {"data": await _with_billing(s, found.items), "next_page_token": found.next_cursor}


@router.get(
    "/v1/numbers/catalog", response_model=ListOf[CatalogItemOut], openapi_extra=requires("read")
)
async def catalog(
    rt: RuntimeDep,
    who: AccountCallerDep,
    country: ListQuery = None,
    type: Annotated[str | None, Query(max_length=16)] = None,
    area_code: Annotated[str | None, Query(max_length=6, description="With one country")] = None,
    prefix: Annotated[str | None, Query(max_length=16, description="e.g. +1212")] = None,
    contains: Annotated[
        str | None, Query(max_length=16, description="* one digit, % any digits")
    ] = None,
    capabilities: ListQuery = None,
    limit: LimitQuery = 20,
    page_token: PageTokenQuery = None,
) -> Any:
    """Purchasable numbers in number order, with their monthly price."""
    f = inventory.make_filters(
        countries=country,
        type=type,
        prefix=prefix,
        area_code=area_code,
        contains=contains,
        capabilities=capabilities,
        country_field="country",
    )
    found = await stock.search_restocking(rt.db, f, limit, page_token, who.sub_account_id)
    return page(found, catalog_item_out)


@router.post(
    "/v1/numbers", status_code=201, response_model=NumberOut, openapi_extra=requires("admin")
)
async def buy_number(body: PurchaseIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Buy ``number`` from the catalog, or the first match of country/type/area code/...; the
    first month is charged to the wallet and a monthly subscription starts."""
    f = None
    if not body.number:
        f = inventory.make_filters(
            countries=[body.country or ""],
            type=body.type or "local",
            prefix=body.prefix,
            area_code=body.area_code,
            contains=body.contains,
            capabilities=body.capabilities,
            country_field="country",
        )

    async def work(s: AsyncSession) -> Any:
        numbers.ensure_live(who)
        sub_account_id, project_id = await numbers.placement(
            s, who, body.sub_account_id, body.project_id
        )
        if body.number:
            items = await numbers.items_for_numbers(s, [(body.number, body.country)])
        else:
            assert f is not None
            items = [await numbers.first_match(s, f, sub_account_id)]
        bought = await numbers.buy(
            s, who, items, sub_account_id=sub_account_id, project_id=project_id
        )
        return await one(s, bought[0])

    return await rt.db.write(work)


@router.post(
    "/v1/numbers/port-in",
    status_code=201,
    response_model=PortOrderOut,
    openapi_extra=requires("admin"),
)
async def port_in(body: PortInIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Begin porting a number in. The order moves submitted → in_review → foc_confirmed; once
    the losing carrier releases the number on the FOC date, complete it (complete-port)."""

    if who.project_id:
        raise Forbidden("A key restricted to a project cannot port numbers in.")

    async def work(s: AsyncSession) -> Any:
        sub_account_id, _ = await numbers.placement(s, who, body.sub_account_id, None)
        order = await porting.submit(
            s, who, e164=body.number, carrier=body.carrier, sub_account_id=sub_account_id
        )
        return port_order_out(order)

    return await rt.db.write(work)


@router.get(
    "/v1/numbers/port-orders", response_model=ListOf[PortOrderOut], openapi_extra=requires("read")
)
async def list_port_orders(
    rt: RuntimeDep, who: AccountCallerDep, limit: LimitQuery = 20, page_token: PageTokenQuery = None
) -> Any:
    async with rt.db.read() as s:
        return page(await porting.list_orders(s, who, limit, page_token), port_order_out)


@router.get(
    "/v1/numbers/port-orders/{order_id}",
    response_model=PortOrderOut,
    openapi_extra=requires("read"),
)
async def get_port_order(order_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async with rt.db.read() as s:
        return port_order_out(await porting.get_order(s, who, order_id))


@router.post(
    "/v1/numbers/port-orders/{order_id}/cancel",
    response_model=PortOrderOut,
    openapi_extra=requires("admin"),
)
async def cancel_port_order(order_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Cancel a port-in; refused (409) after the FOC cut-off, one day before the FOC date."""

    async def work(s: AsyncSession) -> Any:
        order = await porting.get_order(s, who, order_id)
        return port_order_out(await porting.cancel(s, order))

    return await rt.db.write(work)


@router.get("/v1/numbers/{number_id}", response_model=NumberOut, openapi_extra=requires("read"))
async def get_number(number_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async with rt.db.read() as s:
        return await one(s, await numbers.get_number(s, who, number_id))


@router.post(
    "/v1/numbers/{number_id}/release", response_model=NumberOut, openapi_extra=requires("admin")
)
async def release_number(number_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Release a number: routing stops now, the subscription ends, and after a quarantine the
    number returns to stock. Idempotent."""

    async def work(s: AsyncSession) -> Any:
        number = await numbers.get_number(s, who, number_id)
        await numbers.release_number(s, number)
        return await one(s, number)

    return await rt.db.write(work)


@router.post(
    "/v1/numbers/{number_id}/complete-port",
    response_model=PortOrderOut,
    openapi_extra=requires("admin"),
)
async def complete_port(number_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Complete a port-in once the losing carrier released the number (409 before); the number
    becomes active and its first month is charged."""

    async def work(s: AsyncSession) -> Any:
        number = await numbers.get_number(s, who, number_id)
        return port_order_out(await porting.complete(s, who, number))

    return await rt.db.write(work)


@router.post(
    "/v1/numbers/{number_id}/transfer", response_model=NumberOut, openapi_extra=requires("admin")
)
async def transfer_number(
    number_id: str, body: TransferIn, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    """Move a number to another sub-account of the account; projects using it are detached."""

    async def work(s: AsyncSession) -> Any:
        number = await numbers.get_number(s, who, number_id)
        return await one(s, await numbers.transfer(s, who, number, body.sub_account_id))

    return await rt.db.write(work)
