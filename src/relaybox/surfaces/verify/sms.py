"""Spec 003's SMS API: POST /v1/sms (form or JSON) → requestId.

Spec 002 uses the same path for use-case sends (``use_case_id``, ``to_phone_number``,
``message``); the body tells them apart, and the trailing slash is optional on both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from relaybox.accounts.principal import Principal
from relaybox.http import bodies
from relaybox.http.deps import AccountCallerDep, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import VERIFY
from relaybox.messaging import service as messaging

router = APIRouter(route_class=route_class(VERIFY), tags=["verify & messaging"])


class SmsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    number: str = Field(max_length=32, description="Destination (E.164)")
    text: str = Field(max_length=5000)
    from_: str | None = Field(default=None, alias="from", max_length=32)
    callbackUrl: str | None = Field(default=None, max_length=2000)


class RequestIdOut(BaseModel):
    requestId: str


# Other body shapes that share this path (spec 002 registers its handler here).
UseCaseHandler = Callable[[Request, Any, Principal, dict[str, Any]], Awaitable[Any]]
alternate_forms: dict[str, UseCaseHandler] = {}


async def send_sms(request: Request, rt: Any, who: Principal) -> Any:
    fields = await bodies.raw_fields(request)
    for marker, handle in alternate_forms.items():
        if marker in fields:
            return await handle(request, rt, who, fields)
    body = bodies.validate(SmsIn, fields)
    payload = {k: v for k, v in fields.items() if isinstance(v, str | int | float | bool)}
    message = await rt.accepter.send(
        who,
        messaging.SendRequest(
            to=body.number,
            body=body.text,
            sender=body.from_,
            callback_url=body.callbackUrl,
            surface="verify",
            payload={"method": "sms", **payload},
        ),
    )
    return RequestIdOut(requestId=message.id)


@router.post(
    "/v1/sms",
    response_model=RequestIdOut,
    openapi_extra={**requires("deploy"), **bodies.form_or_json(SmsIn)},
)
async def send(request: Request, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Send an outbound SMS (number, text, from?, callbackUrl?)."""
    return await send_sms(request, rt, who)


@router.post(
    "/v1/sms/",
    response_model=RequestIdOut,
    include_in_schema=False,
    openapi_extra=requires("deploy"),
)
async def send_slash(request: Request, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    return await send_sms(request, rt, who)
