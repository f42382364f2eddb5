"""Spec 003's request info: GET /v1/requests/:id and POST /v1/requests/:id (goal)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.domain import status
from relaybox.http import bodies
from relaybox.http.deps import AccountCallerDep, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import VERIFY
from relaybox.messaging import service as messaging
from relaybox.messaging.models import Message

router = APIRouter(route_class=route_class(VERIFY), tags=["verify & messaging"])

PRODUCTS = {"otp": "verify.sms", "message": "sms", "auto_reply": "sms"}


class RequestInfo(BaseModel):
    id: str
    product: str
    number: str
    mccmnc: str | None
    network: str | None
    country: str | None
    status: str
    createdAt: int
    payload: dict[str, Any]
    goal: str | None = None


def info(m: Message) -> RequestInfo:
    return RequestInfo(
        id=m.id,
        product=PRODUCTS.get(m.kind, "sms"),
        number=m.to,
        mccmnc=m.mccmnc,
        network=m.network,
        country=m.country,
        status=status.to_spec003(m.status),
        createdAt=int(m.created_at.timestamp() * 1000),
        payload=m.payload or {"number": m.to, "method": "sms"},
        goal=m.goal,
    )


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    goal: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")


@router.get("/v1/requests/{request_id}", response_model=RequestInfo, openapi_extra=requires("read"))
async def get_request(request_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async with rt.db.read() as s:
        return info(await messaging.get_message(s, who, request_id))


@router.post(
    "/v1/requests/{request_id}",
    response_model=RequestInfo,
    openapi_extra={**requires("deploy"), **bodies.form_or_json(GoalIn)},
)
async def set_goal(request_id: str, request: Request, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Set a goal on a request (e.g. NUMBER_VERIFIED, LINK_OPENED)."""
    fields = await bodies.raw_fields(request)

    async def work(s: AsyncSession) -> Any:
        message = await messaging.get_message(s, who, request_id)
        body = bodies.validate(GoalIn, fields)
        message.goal, message.goal_at = body.goal, clock.now()
        return info(message)

    return await rt.db.write(work)
