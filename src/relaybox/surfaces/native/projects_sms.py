"""Project SMS activation and the project's environment (spec 000: Project SMS)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import AliasChoices, BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.accounts import service as accounts
from relaybox.http.deps import AccountCallerDep, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import NATIVE
from relaybox.numbers import activation
from relaybox.projects import env
from relaybox.surfaces.native.numbers import one
from relaybox.surfaces.native.numbers_schemas import NumberOut, Strict

router = APIRouter(route_class=route_class(NATIVE), tags=["projects"])


class ActivateIn(Strict):
    country: str = Field(min_length=2, max_length=2, description="ISO-3166 country code, e.g. US")
    number_type: str = Field(
        default="local",
        max_length=16,
        validation_alias=AliasChoices("numberType", "number_type"),
        description="local | toll_free | mobile | short_code",
    )
    capabilities: list[str] | None = Field(
        default=None,
        max_length=3,
        description="Subset of sms / mms / voice (sms is always included); default: any",
    )
    e164: str | None = Field(default=None, max_length=20, description="A specific number")


class SmsKeyOut(BaseModel):
    id: str
    hint: str
    scope: str


class ActivationOut(BaseModel):
    project_id: str
    active: bool
    provisioned: bool  # a number was bought by this call
    number: NumberOut | None
    api_key: SmsKeyOut | None
    env: list[str]  # the variables injected into the project's environment


class DeactivationOut(BaseModel):
    project_id: str
    active: bool
    released_number: NumberOut | None
    env: list[str]


class EnvVarOut(BaseModel):
    name: str
    value: str | None  # None when secret and the key may not read it
    secret: bool
    redacted: bool
    source: str
    updated_at: datetime


class EnvOut(BaseModel):
    project_id: str
    data: list[EnvVarOut]


@router.post(
    "/v1/projects/{project_id}/sms/activate",
    response_model=ActivationOut,
    openapi_extra=requires("deploy"),
)
async def activate(project_id: str, body: ActivateIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Provision a number for the project (first month charged, billed monthly) and inject
    CANTILA_SMS_NUMBER and CANTILA_SMS_API_KEY into its environment. Idempotent: returns the
    project's number when SMS is already active. Live keys only."""

    async def work(s: AsyncSession) -> Any:
        done = await activation.activate(
            s,
            rt.box,
            who,
            project_id,
            country=body.country,
            number_type=body.number_type,
            capabilities=body.capabilities,
            e164=body.e164,
        )
        return ActivationOut(
            project_id=done.project_id,
            active=True,
            provisioned=done.provisioned,
            number=await one(s, done.number),
            api_key=SmsKeyOut(id=done.key.id, hint=done.key.hint, scope=done.key.scope),
            env=list(activation.INJECTED),
        )

    return await rt.db.write(work)


@router.post(
    "/v1/projects/{project_id}/sms/deactivate",
    response_model=DeactivationOut,
    openapi_extra=requires("deploy"),
)
async def deactivate(project_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Release the project's number (the monthly charge stops), revoke CANTILA_SMS_API_KEY and
    strip both variables from the environment. Idempotent."""

    async def work(s: AsyncSession) -> Any:
        pid, released = await activation.deactivate(s, who, project_id)
        return DeactivationOut(
            project_id=pid,
            active=False,
            released_number=await one(s, released) if released is not None else None,
            env=[],
        )

    result = await rt.db.write(work)
    rt.keys.clear()  # the revoked key stops authenticating at once
    return result


@router.get("/v1/projects/{project_id}/env", response_model=EnvOut, openapi_extra=requires("read"))
async def get_env(project_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """The project's environment. A secret value (CANTILA_SMS_API_KEY, a deploy key) is shown
    only to keys with deploy scope or above; read keys see it redacted."""
    async with rt.db.read() as s:
        project = await accounts.get_project(s, who, project_id)
        found = await env.read(s, rt.box, who, project.id)
    return EnvOut(
        project_id=project.id,
        data=[
            EnvVarOut(
                name=v.name,
                value=v.value,
                secret=v.secret,
                redacted=v.secret and v.value is None,
                source=v.source,
                updated_at=v.updated_at,
            )
            for v in found
        ],
    )
