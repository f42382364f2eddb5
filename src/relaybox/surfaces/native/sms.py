"""Native SMS routes (spec 000): send, OTP, inbound pipeline, inbox, status, opt-out, reads."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.accounts import keys
from relaybox.accounts import service as accounts
from relaybox.accounts.models import Project
from relaybox.carriers.base import InboundSms
from relaybox.errors import NotFound, Unauthorized, ValidationFailed
from relaybox.http import bodies
from relaybox.http.deps import AccountCallerDep, LimitQuery, PageTokenQuery, RuntimeDep
from relaybox.http.surface import custom_auth, json_response, requires, route_class
from relaybox.http.surfaces import NATIVE
from relaybox.messaging import inbound, optouts, reads
from relaybox.messaging import service as messaging
from relaybox.surfaces.native.schemas import ListOf, page
from relaybox.surfaces.native.sms_schemas import (
    InboundOut,
    MessageOut,
    OptOutIn,
    OtpRequestIn,
    OtpRequestOut,
    OtpVerifyIn,
    OtpVerifyOut,
    PipelineInboundIn,
    SendIn,
    inbound_out,
    message_out,
)
from relaybox.verify import service as verify

router = APIRouter(route_class=route_class(NATIVE), tags=["sms"])
ListOfMessages = ListOf[MessageOut]
ListOfInbound = ListOf[InboundOut]
SinceHours = Annotated[int, Query(ge=1, le=24 * 90, description="Window in hours")]


@router.post(
    "/v1/projects/{project_id}/sms/send",
    status_code=201,
    responses={201: {"model": MessageOut}},
    openapi_extra=requires("deploy"),
)
async def send(project_id: str, body: SendIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    message = await rt.accepter.send(
        who,
        messaging.SendRequest(
            to=body.to,
            body=body.body,
            sender=body.from_,
            project_id=project_id,
            callback_url=body.callback_url,
            validity_seconds=body.validity_seconds,
            check_project=True,
        ),
    )
    return json_response(message_out(message), 201)


@router.get(
    "/v1/projects/{project_id}/sms/messages/{message_id}",
    response_model=MessageOut,
    openapi_extra=requires("read"),
)
async def get_message(
    project_id: str, message_id: str, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    async with rt.db.read() as s:
        project = await accounts.get_project(s, who, project_id)
        message = await messaging.get_message(s, who, message_id)
        if message.project_id != project.id:
            raise NotFound("Message not found.")
        return message_out(message)


@router.get(
    "/v1/projects/{project_id}/sms/status",
    response_model=ListOfMessages,
    openapi_extra=requires("read"),
)
async def project_status(
    project_id: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
    limit: LimitQuery = 50,
    page_token: PageTokenQuery = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> Any:
    async with rt.db.read() as s:
        project = await accounts.get_project(s, who, project_id)
        result = await reads.outbound(
            s, who, project_id=project.id, status=status, limit=limit, after=page_token
        )
    return page(result, message_out)


@router.get(
    "/v1/projects/{project_id}/sms/inbox",
    response_model=ListOfInbound,
    openapi_extra=requires("read"),
)
async def project_inbox(
    project_id: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
    limit: LimitQuery = 50,
    page_token: PageTokenQuery = None,
) -> Any:
    async with rt.db.read() as s:
        project = await accounts.get_project(s, who, project_id)
        result = await reads.inbox(s, who, project_id=project.id, limit=limit, after=page_token)
    return page(result, inbound_out)


@router.post("/v1/projects/{project_id}/sms/opt-out", openapi_extra=requires("deploy"))
async def opt_out(project_id: str, body: OptOutIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async def work(s: AsyncSession) -> Any:
        project = await accounts.get_project(s, who, project_id)
        number = await optouts.record(s, who.account, project.id, body.number)
        return {"project_id": project.id, "number": number, "opted_out": True}

    return await rt.db.write(work)


@router.post(
    "/v1/projects/{project_id}/sms/otp/request",
    status_code=201,
    response_model=OtpRequestOut,
    openapi_extra=requires("deploy"),
)
async def otp_request(
    project_id: str, body: OtpRequestIn, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    settings = rt.settings

    async def work(s: AsyncSession) -> Any:
        project = await accounts.get_project(s, who, project_id)
        issued = await verify.request(
            s,
            who,
            project_id=project.id,
            to=body.to,
            server_key=rt.otp_key,
            code_length=project.otp_code_length,
            sandbox_sender=settings.sandbox_sender,
            validity_seconds=settings.sms_validity_seconds,
        )
        v = issued.verification
        return OtpRequestOut(
            id=v.id,
            status=v.status,
            to=v.number,
            message_id=issued.message_id,
            resent=issued.resent,
            expires_at=v.expires_at,
            code_length=v.code_length,
            stubbed=v.test,
        )

    try:
        return await rt.db.write(work)
    except IntegrityError:  # a concurrent request created the verification: resend its code
        return await rt.db.write(work)


@router.post(
    "/v1/projects/{project_id}/sms/otp/verify",
    response_model=OtpVerifyOut,
    openapi_extra=requires("deploy"),
)
async def otp_verify(
    project_id: str, body: OtpVerifyIn, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    async def work(s: AsyncSession) -> Any:
        project = await accounts.get_project(s, who, project_id)
        v = await verify.check(s, who, project_id=project.id, to=body.to, code=body.code)
        return OtpVerifyOut(
            id=v.id,
            status=v.status,
            valid=v.status == "approved",
            to=v.number,
            attempts_remaining=max(0, 5 - v.checks) if v.status == "pending" else 0,
        )

    return await rt.db.write(work)


@router.post(
    "/v1/projects/{project_id}/sms/pipeline-secret",
    status_code=201,
    openapi_extra=requires("admin"),
)
async def pipeline_secret(project_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Issue (or replace) the secret the SMS pipeline uses on the inbound endpoint."""
    secret = "psk_" + secrets.token_urlsafe(32)

    async def work(s: AsyncSession) -> Any:
        project = await accounts.get_project(s, who, project_id)
        project.pipeline_secret_hash = hashlib.sha256(secret.encode()).hexdigest()
        return {"project_id": project.id, "secret": secret}

    return await rt.db.write(work)


@router.post("/v1/projects/{project_id}/sms/inbound", openapi_extra=custom_auth("custom:pipeline"))
async def pipeline_inbound(project_id: str, request: Request, rt: RuntimeDep) -> Any:
    """Inbound SMS for the project, posted by the SMS pipeline with the project's pipeline
    secret (``Authorization: Bearer psk_...``), not an API key."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.startswith("psk_"):
        raise Unauthorized("The pipeline secret is required (Authorization: Bearer psk_...).")
    async with rt.db.read() as s:
        project = await s.get(Project, project_id)
    expected = project.pipeline_secret_hash if project is not None else None
    given = hashlib.sha256(token.strip().encode()).hexdigest()
    if expected is None or not keys.same(given, expected):
        raise Unauthorized("Unknown pipeline secret for this project.")
    body = await bodies.parse(request, PipelineInboundIn)
    text = body.text if body.text is not None else body.body
    if text is None:
        raise ValidationFailed.field("text", "text (or body) is required")
    message = InboundSms(
        carrier="pipeline",
        external_id=body.message_id or ids.new_id("pipe"),
        sender=body.from_,
        to=body.to,
        body=text,
        received_at=clock.now(),
    )
    assert project is not None
    hint = inbound.Owner(project.account_id, project.sub_account_id, project.id)

    async def work(s: AsyncSession) -> Any:
        stored = await inbound.receive(s, message, test=False, hint=hint)
        return {"id": stored.id if stored else None, "duplicate": stored is None}

    return await rt.db.write(work)


# -- account-wide reads -------------------------------------------------------------------------


@router.get("/v1/sms/inbox", response_model=ListOfInbound, openapi_extra=requires("read"))
async def account_inbox(
    rt: RuntimeDep, who: AccountCallerDep, limit: LimitQuery = 50, page_token: PageTokenQuery = None
) -> Any:
    async with rt.db.read() as s:
        result = await reads.inbox(s, who, project_id=None, limit=limit, after=page_token)
    return page(result, inbound_out)


@router.get("/v1/sms/deliverability", openapi_extra=requires("read"))
async def deliverability(rt: RuntimeDep, who: AccountCallerDep, hours: SinceHours = 24) -> Any:
    async with rt.db.read() as s:
        return await reads.deliverability(s, who, clock.now() - timedelta(hours=hours))


@router.get("/v1/sms/fleet", openapi_extra=requires("read"))
async def fleet(rt: RuntimeDep, who: AccountCallerDep, hours: SinceHours = 24) -> Any:
    async with rt.db.read() as s:
        return {"data": await reads.fleet(s, who, clock.now() - timedelta(hours=hours))}


@router.get("/v1/sms/otp", openapi_extra=requires("read"))
async def otp_stats(
    rt: RuntimeDep, who: AccountCallerDep, days: Annotated[int, Query(ge=1, le=365)] = 30
) -> Any:
    async with rt.db.read() as s:
        return await verify.stats(s, who, days)
