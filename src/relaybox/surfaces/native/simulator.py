"""The carrier simulator's API: magic outcomes and virtual handsets."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.carriers.simulator import handsets
from relaybox.carriers.simulator.outcomes import MAGIC
from relaybox.domain import phone
from relaybox.http.deps import AccountCallerDep, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import NATIVE
from relaybox.surfaces.native.sms_schemas import inbound_out

router = APIRouter(route_class=route_class(NATIVE), tags=["simulator"])
Number = Path(max_length=32, description="The virtual handset's number (E.164)")


class HandsetSendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(max_length=32, description="One of your numbers (or sandbox senders)")
    body: str = Field(min_length=1, max_length=1600)


@router.get("/v1/simulator/outcomes", openapi_extra=requires("read"))
async def outcomes() -> Any:
    """Magic destination numbers and the outcome each forces."""
    return {
        "data": [
            {
                "number": n,
                "outcome": o.name,
                "description": o.description,
                "error_code": o.error_code,
            }
            for n, o in MAGIC.items()
        ],
        "default": "Any other possible number is a virtual handset that receives the "
        "message and returns a delivery receipt.",
    }


@router.get("/v1/simulator/handsets/{number}/messages", openapi_extra=requires("read"))
async def handset_messages(rt: RuntimeDep, who: AccountCallerDep, number: str = Number) -> Any:
    e164 = phone.parse(number).e164
    async with rt.db.read() as s:
        return {"number": e164, "data": await handsets.messages(s, who.account, e164)}


@router.post(
    "/v1/simulator/handsets/{number}/messages", status_code=201, openapi_extra=requires("deploy")
)
async def handset_send(
    body: HandsetSendIn, rt: RuntimeDep, who: AccountCallerDep, number: str = Number
) -> Any:
    """The virtual handset texts one of your numbers (try STOP, START, HELP)."""

    async def work(s: AsyncSession) -> Any:
        stored = await handsets.send_from_handset(
            s,
            account_id=who.account,
            sub_account_id=who.sub_account_id,
            project_id=who.project_id,
            handset=number,
            to=body.to,
            body=body.body,
        )
        return inbound_out(stored) if stored else None

    return await rt.db.write(work)
