"""Operator routes: accounts across the installation (operator keys only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.accounts import service
from relaybox.accounts.models import ACTIVE, SUSPENDED
from relaybox.http.deps import LimitQuery, PageTokenQuery, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import NATIVE
from relaybox.surfaces.native.schemas import (
    AccountIn,
    AccountOut,
    KeyIn,
    ListOf,
    NewKeyOut,
    account_out,
    new_key_out,
    page,
)

router = APIRouter(route_class=route_class(NATIVE), tags=["operator"])
OPERATOR = requires("operator")


@router.get("/v1/admin/accounts", response_model=ListOf[AccountOut], openapi_extra=OPERATOR)
async def list_accounts(
    rt: RuntimeDep, limit: LimitQuery = 20, page_token: PageTokenQuery = None
) -> Any:
    async with rt.db.read() as s:
        return page(await service.list_accounts(s, limit, page_token), account_out)


@router.post(
    "/v1/admin/accounts", status_code=201, response_model=AccountOut, openapi_extra=OPERATOR
)
async def create_account(body: AccountIn, rt: RuntimeDep) -> Any:
    async def work(s: AsyncSession) -> Any:
        return account_out(await service.create_account(s, body.name, body.geo_permissions))

    return await rt.db.write(work)


@router.get("/v1/admin/accounts/{account_id}", response_model=AccountOut, openapi_extra=OPERATOR)
async def get_account(account_id: str, rt: RuntimeDep) -> Any:
    async with rt.db.read() as s:
        return account_out(await service.get_account(s, account_id))


async def _set_status(rt: Any, account_id: str, status: str) -> Any:
    async def work(s: AsyncSession) -> Any:
        return account_out(await service.set_account_status(s, account_id, status))

    result = await rt.db.write(work)
    rt.keys.clear()
    return result


@router.post(
    "/v1/admin/accounts/{account_id}/suspend", response_model=AccountOut, openapi_extra=OPERATOR
)
async def suspend_account(account_id: str, rt: RuntimeDep) -> Any:
    return await _set_status(rt, account_id, SUSPENDED)


@router.post(
    "/v1/admin/accounts/{account_id}/resume", response_model=AccountOut, openapi_extra=OPERATOR
)
async def resume_account(account_id: str, rt: RuntimeDep) -> Any:
    return await _set_status(rt, account_id, ACTIVE)


@router.post(
    "/v1/admin/accounts/{account_id}/keys",
    status_code=201,
    response_model=NewKeyOut,
    openapi_extra=OPERATOR,
)
async def create_account_key(account_id: str, body: KeyIn, rt: RuntimeDep) -> Any:
    now = clock.now()

    async def work(s: AsyncSession) -> Any:
        await service.get_account(s, account_id)
        key, token = await service.create_key(
            s,
            account_id=account_id,
            scope=body.scope,
            mode=body.mode,
            name=body.name,
            sub_account_id=body.sub_account_id,
            project_id=body.project_id,
            allowed_cidrs=body.allowed_cidrs,
            rate_limit_per_minute=body.rate_limit_per_minute,
            expires_at=now + timedelta(seconds=body.expires_in_seconds)
            if body.expires_in_seconds
            else None,
        )
        return new_key_out(key, token, now)

    return await rt.db.write(work)
