"""Spec 001: POST /api/v1/sms/send → message_id, status, cost."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from relaybox.domain import status
from relaybox.domain.money import Money
from relaybox.http.deps import AccountCallerDep, RuntimeDep
from relaybox.http.surface import json_response, requires, route_class
from relaybox.http.surfaces import SMSVOIP
from relaybox.messaging import service as messaging

router = APIRouter(route_class=route_class(SMSVOIP), tags=["sms & voice platform"])


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    to: str = Field(max_length=32)
    text: str = Field(max_length=5000)
    from_: str | None = Field(default=None, alias="from", max_length=32)
    callback_url: str | None = Field(default=None, max_length=2000)


class SendOut(BaseModel):
    message_id: str
    status: str
    cost: float
    currency: str
    segments: int
    encoding: str
    to: str
    sandbox: bool


def send_out(m: Any) -> SendOut:
    return SendOut(
        message_id=m.id,
        status=status.to_spec001(m.status),
        cost=Money(m.price, m.currency).as_float(),
        currency=m.currency,
        segments=m.segments,
        encoding=m.encoding,
        to=m.to,
        sandbox=m.test,
    )


@router.post(
    "/api/v1/sms/send", responses={200: {"model": SendOut}}, openapi_extra=requires("deploy")
)
async def send(body: SendIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    message = await rt.accepter.send(
        who,
        messaging.SendRequest(
            to=body.to,
            body=body.text,
            sender=body.from_,
            callback_url=body.callback_url,
            surface="smsvoip",
        ),
    )
    return json_response(send_out(message).model_dump())
