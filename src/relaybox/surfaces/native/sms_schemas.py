"""Wire shapes of the native SMS routes (spec 000)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from relaybox.domain.money import Money
from relaybox.messaging.models import InboundMessage, Message


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    to: str = Field(max_length=32, description="Destination number (E.164)")
    from_: str | None = Field(
        default=None, alias="from", max_length=32, description="Sending number owned by the project"
    )
    body: str = Field(max_length=5000, description="Message text (up to 1600 characters)")
    callback_url: str | None = Field(
        default=None, max_length=2000, description="Status webhooks for this message go here"
    )
    validity_seconds: int | None = Field(default=None, ge=60, le=36000)


class MessageOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    status: str
    stubbed: bool
    to: str
    from_: str = Field(alias="from")
    body: str
    encoding: str
    segments: int
    price: float
    currency: str
    project_id: str | None
    error_code: int | None
    error_message: str | None
    created_at: datetime
    handed_off_at: datetime | None
    delivered_at: datetime | None
    errored_at: datetime | None


def message_out(m: Message) -> dict[str, Any]:
    return MessageOut(
        id=m.id,
        status=m.status,
        stubbed=m.test,
        to=m.to,
        from_=m.sender,
        body=m.body,
        encoding=m.encoding,
        segments=m.segments,
        price=Money(m.price, m.currency).as_float(),
        currency=m.currency,
        project_id=m.project_id,
        error_code=m.error_code,
        error_message=m.error_message,
        created_at=m.created_at,
        handed_off_at=m.handed_off_at,
        delivered_at=m.delivered_at,
        errored_at=m.errored_at,
    ).model_dump(by_alias=True, mode="json")


class InboundOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    from_: str = Field(alias="from")
    to: str
    body: str
    parts: int
    keyword: str | None
    project_id: str | None
    stubbed: bool
    received_at: datetime


def inbound_out(m: InboundMessage) -> dict[str, Any]:
    return InboundOut(
        id=m.id,
        from_=m.sender,
        to=m.to,
        body=m.body,
        parts=m.parts,
        keyword=m.keyword,
        project_id=m.project_id,
        stubbed=m.test,
        received_at=m.received_at,
    ).model_dump(by_alias=True, mode="json")


class OtpRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(max_length=32)


class OtpRequestOut(BaseModel):
    id: str
    status: str
    to: str
    message_id: str
    resent: bool
    expires_at: datetime
    code_length: int
    stubbed: bool


class OtpVerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to: str = Field(max_length=32)
    code: str = Field(min_length=1, max_length=20)


class OtpVerifyOut(BaseModel):
    id: str
    status: str
    valid: bool
    to: str
    attempts_remaining: int


class OptOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(max_length=32)


class PipelineInboundIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", max_length=32)
    to: str = Field(max_length=32)
    text: str | None = Field(default=None, max_length=5000)
    body: str | None = Field(default=None, max_length=5000)
    message_id: str | None = Field(default=None, alias="messageId", max_length=200)
