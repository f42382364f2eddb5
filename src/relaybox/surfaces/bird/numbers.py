"""Spec 004 numbers: search stock, reserve, buy (by number or stock item), list, release.

Ids are shown as UUIDs and accepted as UUIDs or in our prefixed form. Money is Bird's
``{currencyCode, amount, exponent}`` with amount in micro-units (exponent -6), as the spec's
example shows.
"""

from __future__ import annotations

from typing import Annotated, Any

import phonenumbers
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import ids
from relaybox.domain import inventory
from relaybox.errors import NotFound, ValidationFailed
from relaybox.http.deps import AccountCallerDep, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import BIRD
from relaybox.numbers import service as numbers
from relaybox.numbers import stock
from relaybox.numbers.models import ACTIVE, PORTING, PhoneNumber, StockItem
from relaybox.storage.pagination import Page
from relaybox.surfaces.bird.common import (
    BirdLimit,
    BirdPageToken,
    bird_time,
    organization,
    workspace,
)

router = APIRouter(route_class=route_class(BIRD), tags=["bird: numbers"])

ListQuery = Annotated[list[str] | None, Query(description="Repeat or comma-separate")]
MAX_ITEMS = 25


# -- shapes ----------------------------------------------------------------------------------


def capabilities(x: StockItem | PhoneNumber) -> dict[str, dict[str, bool]]:
    return {
        cap: {"inbound": bool(getattr(x, cap)), "outbound": bool(getattr(x, cap))}
        for cap in ("voice", "sms", "mms")
    }


def monthly_price(x: StockItem | PhoneNumber) -> dict[str, Any]:
    return {"currencyCode": x.currency, "amount": x.monthly_price, "exponent": -6}


def stock_item_out(item: StockItem) -> dict[str, Any]:
    return {
        "id": ids.as_uuid(item.id),
        "countryCode": item.country,
        "type": inventory.bird_type(item.type),
        "numberString": item.e164,
        "capabilities": capabilities(item),
        "monthlyPrice": monthly_price(item),
        "backOrderRequired": False,
        "backOrderStockId": None,
    }


def _prefix(e164: str) -> str | None:
    """The number's area prefix in international format (e.g. +1212), when it has one."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return None
    national = str(parsed.national_number)
    length = phonenumbers.length_of_national_destination_code(parsed)
    return f"+{parsed.country_code}{national[:length]}" if length else None


def number_out(n: PhoneNumber) -> dict[str, Any]:
    uuid = ids.as_uuid(n.id)
    active = n.status == ACTIVE
    if active:
        status, issues = "active", []
    elif n.status == PORTING:
        status, issues = "pending", ["number-is-porting"]
    else:
        status, issues = "inactive", ["subscription-is-not-active"]
    endpoint_caps = [
        {
            "name": cap,
            "inbound": {"status": status, "issues": issues},
            "outbound": {"status": status, "supportsDestinations": False, "issues": issues},
        }
        for cap in n.capabilities
    ]
    kind = inventory.bird_type(n.type)
    provisioning = {"active": "provisioned", "porting": "provisioning"}.get(
        n.status, "deprovisioned"
    )
    return {
        "id": uuid,
        "endpointId": uuid,
        "numberString": n.e164,
        "countryCode": n.country,
        "type": kind,
        "capabilities": capabilities(n),
        "monthlyPrice": monthly_price(n),
        "workspaceId": ids.as_uuid(n.sub_account_id) if n.sub_account_id else None,
        "createdAt": bird_time(n.created_at),
        "updatedAt": bird_time(n.updated_at),
        "order": {
            "countryCode": n.country,
            "type": kind,
            "capabilities": n.capabilities,
            "prefix": _prefix(n.e164),
            "status": "pending" if n.status == PORTING else "completed",
            "createdAt": bird_time(n.created_at),
            "updatedAt": bird_time(n.activated_at or n.updated_at),
        },
        "deprovisionAt": bird_time(n.released_at),
        "endpoint": {
            "id": uuid,
            "type": "short-code" if n.type == "short_code" else "long-code-number",
            "instanceId": uuid,
            "name": n.e164,
            "provisioningStatus": provisioning,
            "capabilities": endpoint_caps,
            "createdAt": bird_time(n.created_at),
            "updatedAt": bird_time(n.updated_at),
        },
    }


class Results(BaseModel):
    results: list[dict[str, Any]]
    nextPageToken: str | None = None


class WantedNumber(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(min_length=3, max_length=20, description="E.164")
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2")


class BuyNumbersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numbers: list[WantedNumber] = Field(min_length=1, max_length=MAX_ITEMS)


class StockItemIds(BaseModel):
    model_config = ConfigDict(extra="forbid")
    numberStockItemIds: list[str] = Field(min_length=1, max_length=MAX_ITEMS)


class ReserveIn(StockItemIds):
    expiresIn: int | None = Field(
        default=None, ge=60, le=3600, description="Seconds the reservation lasts (default 600)"
    )


def _stock_ids(values: list[str]) -> list[str]:
    out = []
    for value in values:
        canonical = ids.parse_id("nsi", value)
        if canonical is None:
            raise ValidationFailed.field("numberStockItemIds", f"{value[:40]!r} is not an id")
        out.append(canonical)
    if len(set(out)) != len(out):
        raise ValidationFailed.field("numberStockItemIds", "an id is given twice")
    return out


def _filters(
    countryCodes: list[str] | None,
    country: list[str] | None,
    type: str | None,
    prefix: str | None,
    contains: str | None,
    capabilities: list[str] | None,
) -> inventory.Filters:
    return inventory.make_filters(
        countries=[*(countryCodes or []), *(country or [])],
        type=type,
        prefix=prefix,
        contains=contains,
        capabilities=capabilities,
    )


def _items(found: Page[StockItem]) -> Results:
    results = [stock_item_out(i) for i in found.items]
    return Results(results=results, nextPageToken=found.next_cursor)


# -- search ----------------------------------------------------------------------------------


@router.get(
    "/workspaces/{workspaceId}/numbers-available",
    response_model=Results,
    openapi_extra=requires("read"),
)
async def numbers_available(
    workspaceId: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
    countryCodes: ListQuery = None,
    country: ListQuery = None,
    type: Annotated[str | None, Query(max_length=16)] = None,
    prefix: Annotated[str | None, Query(min_length=1, max_length=250)] = None,
    contains: Annotated[str | None, Query(max_length=16)] = None,
    capabilities: ListQuery = None,
    limit: BirdLimit = 10,
    pageToken: BirdPageToken = None,
) -> Any:
    """Numbers this workspace can buy (its own reservations included)."""
    async with rt.db.read() as s:
        ws = await workspace(s, who, workspaceId)
    f = _filters(countryCodes, country, type, prefix, contains, capabilities)
    found = await stock.search_restocking(rt.db, f, limit, pageToken, ws.id)
    return _items(found)


@router.get(
    "/organizations/{organizationId}/numbers-stock-items",
    response_model=Results,
    openapi_extra=requires("read"),
)
async def numbers_stock_items(
    organizationId: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
    countryCodes: ListQuery = None,
    type: Annotated[str | None, Query(max_length=16)] = None,
    prefix: Annotated[str | None, Query(min_length=1, max_length=250)] = None,
    contains: Annotated[str | None, Query(max_length=16)] = None,
    capabilities: ListQuery = None,
    testing: bool | None = None,
    limit: BirdLimit = 10,
    pageToken: BirdPageToken = None,
) -> Any:
    """Every number in stock, for any workspace of the organization (``testing`` is accepted
    and ignored: the simulator's stock is the test stock)."""
    organization(who, organizationId)
    f = _filters(countryCodes, None, type, prefix, contains, capabilities)
    found = await stock.search_restocking(rt.db, f, limit, pageToken, who.sub_account_id)
    return _items(found)


# -- reserve and buy -------------------------------------------------------------------------


@router.post(
    "/workspaces/{workspaceId}/numbers-reservations",
    status_code=201,
    response_model=Results,
    openapi_extra=requires("admin"),
)
async def reserve_numbers(
    workspaceId: str, body: ReserveIn, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    """Reserve number stock items for this workspace (default 10 minutes, at most an hour) so
    that it can buy them with numbers-long-code. Reserving again extends the reservation."""
    wanted = _stock_ids(body.numberStockItemIds)
    length = stock.reservation_length(body.expiresIn)

    async def work(s: AsyncSession) -> Any:
        ws = await workspace(s, who, workspaceId)
        items = await stock.reserve(s, wanted, ws.id, length)
        return Results(
            results=[
                {
                    **stock_item_out(i),
                    "reservation": {
                        "workspaceId": ids.as_uuid(ws.id),
                        "expiresAt": bird_time(i.reserved_until),
                    },
                }
                for i in items
            ]
        )

    return await rt.db.write(work)


@router.post(
    "/workspaces/{workspaceId}/numbers",
    status_code=201,
    response_model=Results,
    openapi_extra=requires("admin"),
)
async def buy_numbers(
    workspaceId: str, body: BuyNumbersIn, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    """Buy numbers by number and country. Charges each first month to the wallet and starts a
    monthly subscription; all or nothing."""

    async def work(s: AsyncSession) -> Any:
        ws = await workspace(s, who, workspaceId)
        numbers.ensure_live(who)
        items = await numbers.items_for_numbers(s, [(n.number, n.country) for n in body.numbers])
        bought = await numbers.buy(s, who, items, sub_account_id=ws.id)
        return Results(results=[number_out(n) for n in bought])

    return await rt.db.write(work)


@router.post(
    "/workspaces/{workspaceId}/numbers-long-code",
    status_code=201,
    response_model=Results,
    openapi_extra=requires("admin"),
)
async def buy_long_code_numbers(
    workspaceId: str, body: StockItemIds, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    """Buy reserved number stock items (at most 25); charges the wallet for each first month."""
    wanted = _stock_ids(body.numberStockItemIds)

    async def work(s: AsyncSession) -> Any:
        ws = await workspace(s, who, workspaceId)
        numbers.ensure_live(who)
        items = []
        for item_id in wanted:
            item = await s.get(StockItem, item_id)
            if item is None:
                raise NotFound("Number stock item not found.")
            if item.type == "short_code":
                raise ValidationFailed.field(
                    "numberStockItemIds", f"{item.e164} is a short code, not a long code"
                )
            items.append(item)
        bought = await numbers.buy(s, who, items, sub_account_id=ws.id, reserved=True)
        return Results(results=[number_out(n) for n in bought])

    return await rt.db.write(work)


# -- owned numbers ---------------------------------------------------------------------------


async def _number(s: AsyncSession, who: Any, workspace_id: str, number_id: str) -> PhoneNumber:
    ws = await workspace(s, who, workspace_id)
    try:
        number = await numbers.get_number(s, who, number_id)
    except NotFound:
        number = None
    if number is None or number.sub_account_id != ws.id:
        raise NotFound("Number not found.")
    return number


@router.get(
    "/workspaces/{workspaceId}/numbers", response_model=Results, openapi_extra=requires("read")
)
async def list_workspace_numbers(
    workspaceId: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
    limit: BirdLimit = 10,
    pageToken: BirdPageToken = None,
) -> Any:
    """The workspace's numbers (active and porting), newest first."""
    async with rt.db.read() as s:
        ws = await workspace(s, who, workspaceId)
        found = await numbers.list_numbers(s, who, limit, pageToken, sub_account_id=ws.id)
    return Results(results=[number_out(n) for n in found.items], nextPageToken=found.next_cursor)


@router.get(
    "/workspaces/{workspaceId}/numbers/{numberId}",
    response_model=dict[str, Any],
    openapi_extra=requires("read"),
)
async def get_workspace_number(
    workspaceId: str, numberId: str, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    async with rt.db.read() as s:
        return number_out(await _number(s, who, workspaceId, numberId))


@router.delete(
    "/workspaces/{workspaceId}/numbers/{numberId}",
    status_code=204,
    response_class=Response,
    openapi_extra=requires("admin"),
)
async def release_workspace_number(
    workspaceId: str, numberId: str, rt: RuntimeDep, who: AccountCallerDep
) -> Response:
    """Release the number: routing stops now and its subscription ends."""

    async def work(s: AsyncSession) -> None:
        await numbers.release_number(s, await _number(s, who, workspaceId, numberId))

    await rt.db.write(work)
    return Response(status_code=204)
