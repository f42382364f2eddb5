"""Native tenancy routes: the caller's account, sub-accounts, projects, keys and audit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.accounts import service
from relaybox.audit.models import Activity
from relaybox.errors import Forbidden
from relaybox.http.deps import AccountCallerDep, LimitQuery, PageTokenQuery, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import NATIVE
from relaybox.storage.pagination import paginate
from relaybox.surfaces.native.schemas import (
    AccountOut,
    ActivityOut,
    KeyIn,
    KeyOut,
    ListOf,
    NameIn,
    NewKeyOut,
    ProjectIn,
    ProjectOut,
    RotateIn,
    RotateOut,
    SubAccountOut,
    account_out,
    key_out,
    new_key_out,
    page,
    project_out,
    sub_account_out,
)

router = APIRouter(route_class=route_class(NATIVE), tags=["account"])


@router.get("/v1/account", response_model=AccountOut, openapi_extra=requires("read"))
async def get_account(rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async with rt.db.read() as s:
        return account_out(await service.get_account(s, who.account))


@router.get(
    "/v1/sub-accounts", response_model=ListOf[SubAccountOut], openapi_extra=requires("read")
)
async def list_sub_accounts(
    rt: RuntimeDep, who: AccountCallerDep, limit: LimitQuery = 20, page_token: PageTokenQuery = None
) -> Any:
    async with rt.db.read() as s:
        return page(await service.list_sub_accounts(s, who, limit, page_token), sub_account_out)


@router.post(
    "/v1/sub-accounts",
    status_code=201,
    response_model=SubAccountOut,
    openapi_extra=requires("admin"),
)
async def create_sub_account(body: NameIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    if who.sub_account_id or who.project_id:
        raise Forbidden("A key restricted to a sub-account or project cannot create one.")

    async def work(s: AsyncSession) -> Any:
        return sub_account_out(await service.create_sub_account(s, who.account, body.name))

    return await rt.db.write(work)


@router.get(
    "/v1/sub-accounts/{sub_account_id}",
    response_model=SubAccountOut,
    openapi_extra=requires("read"),
)
async def get_sub_account(sub_account_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async with rt.db.read() as s:
        return sub_account_out(await service.get_sub_account(s, who, sub_account_id))


@router.get("/v1/projects", response_model=ListOf[ProjectOut], openapi_extra=requires("read"))
async def list_projects(
    rt: RuntimeDep, who: AccountCallerDep, limit: LimitQuery = 20, page_token: PageTokenQuery = None
) -> Any:
    async with rt.db.read() as s:
        return page(await service.list_projects(s, who, limit, page_token), project_out)


@router.post(
    "/v1/projects", status_code=201, response_model=ProjectOut, openapi_extra=requires("admin")
)
async def create_project(body: ProjectIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async def work(s: AsyncSession) -> Any:
        sub = await service.get_sub_account(s, who, body.sub_account_id)
        if who.project_id:
            raise Forbidden("A project-restricted key cannot create projects.")
        return project_out(await service.create_project(s, who.account, sub.id, body.name))

    return await rt.db.write(work)


@router.get("/v1/projects/{project_id}", response_model=ProjectOut, openapi_extra=requires("read"))
async def get_project(project_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async with rt.db.read() as s:
        return project_out(await service.get_project(s, who, project_id))


# -- keys ---------------------------------------------------------------------------------------


@router.get(
    "/v1/keys", response_model=ListOf[KeyOut], openapi_extra=requires("admin"), tags=["keys"]
)
async def list_keys(
    rt: RuntimeDep, who: AccountCallerDep, limit: LimitQuery = 20, page_token: PageTokenQuery = None
) -> Any:
    now = clock.now()
    async with rt.db.read() as s:
        return page(await service.list_keys(s, who, limit, page_token), lambda k: key_out(k, now))


@router.post(
    "/v1/keys",
    status_code=201,
    response_model=NewKeyOut,
    openapi_extra=requires("admin"),
    tags=["keys"],
)
async def create_key(body: KeyIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    sub_account_id = body.sub_account_id or who.sub_account_id
    project_id = body.project_id or who.project_id
    service.ensure_may_grant(who, body.scope, sub_account_id, project_id)
    if who.is_test and body.mode == "live":
        raise Forbidden("A test key cannot create live keys.")
    now = clock.now()

    async def work(s: AsyncSession) -> Any:
        key, token = await service.create_key(
            s,
            account_id=who.account,
            scope=body.scope,
            mode=body.mode,
            name=body.name,
            sub_account_id=sub_account_id,
            project_id=project_id,
            allowed_cidrs=body.allowed_cidrs,
            rate_limit_per_minute=body.rate_limit_per_minute,
            expires_at=now + timedelta(seconds=body.expires_in_seconds)
            if body.expires_in_seconds
            else None,
        )
        return new_key_out(key, token, now)

    return await rt.db.write(work)


@router.get(
    "/v1/keys/{key_id}", response_model=KeyOut, openapi_extra=requires("admin"), tags=["keys"]
)
async def get_key(key_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async with rt.db.read() as s:
        return key_out(await service.get_key(s, who, key_id), clock.now())


@router.post(
    "/v1/keys/{key_id}/rotate",
    status_code=201,
    response_model=RotateOut,
    openapi_extra=requires("admin"),
    tags=["keys"],
)
async def rotate_key(key_id: str, body: RotateIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    now = clock.now()

    async def work(s: AsyncSession) -> Any:
        old = await service.get_key(s, who, key_id)
        new, token = await service.rotate_key(s, old, body.grace_seconds)
        return RotateOut(new_key=new_key_out(new, token, now), old_key=key_out(old, now))

    result = await rt.db.write(work)
    rt.keys.clear()
    return result


@router.post(
    "/v1/keys/{key_id}/revoke",
    response_model=KeyOut,
    openapi_extra=requires("admin"),
    tags=["keys"],
)
async def revoke_key(key_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async def work(s: AsyncSession) -> Any:
        key = await service.revoke_key(s, await service.get_key(s, who, key_id))
        return key_out(key, clock.now())

    result = await rt.db.write(work)
    rt.keys.clear()
    return result


# -- audit --------------------------------------------------------------------------------------


@router.get(
    "/v1/audit", response_model=ListOf[ActivityOut], openapi_extra=requires("read"), tags=["audit"]
)
async def list_activity(
    rt: RuntimeDep, who: AccountCallerDep, limit: LimitQuery = 50, page_token: PageTokenQuery = None
) -> Any:
    await rt.audit.flush()
    stmt = select(Activity).where(Activity.account_id == who.account)
    if who.sub_account_id:
        stmt = stmt.where(Activity.sub_account_id == who.sub_account_id)
    if who.project_id:
        stmt = stmt.where(Activity.project_id == who.project_id)
    async with rt.db.read() as s:
        result = await paginate(s, stmt, Activity.id, limit, page_token)
    return page(result, lambda a: ActivityOut.model_validate(a, from_attributes=True))
