"""Native webhook routes: a project's endpoints and secret, the account's default secret,
events, the delivery log and redelivery."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.accounts import service as accounts
from relaybox.accounts.principal import Principal
from relaybox.errors import Forbidden
from relaybox.http.deps import AccountCallerDep, LimitQuery, PageTokenQuery, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import NATIVE
from relaybox.runtime import Runtime
from relaybox.surfaces.native.schemas import ListOf, page
from relaybox.surfaces.native.webhook_schemas import (
    AccountWebhooksOut,
    DeliveryOut,
    EventOut,
    ProjectWebhooksIn,
    ProjectWebhooksOut,
    RedeliverOut,
    RotateSecretIn,
    account_webhooks_out,
    delivery_out,
    event_out,
    project_webhooks_out,
    redeliver_out,
)
from relaybox.webhooks import delivery, service
from relaybox.webhooks.models import WebhookSettings

router = APIRouter(route_class=route_class(NATIVE), tags=["webhooks"])

EventIdQuery = Annotated[str | None, Query(max_length=40, description="Only this event.")]


def _project_out(rt: Runtime, who: Principal, row: WebhookSettings) -> ProjectWebhooksOut:
    return project_webhooks_out(row, rt.box, admin=who.allows("admin"), now=clock.now())


@router.get(
    "/v1/projects/{project_id}/webhooks",
    response_model=ProjectWebhooksOut,
    openapi_extra=requires("read"),
)
async def get_project_webhooks(project_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """The project's status and inbound URLs; the signing secret for admin keys."""
    async with rt.db.read() as s:
        project = await accounts.get_project(s, who, project_id)
        row = await service.find_settings(s, project.id)
    if row is None:  # first look: make the secret

        async def work(s: AsyncSession) -> WebhookSettings:
            return await service.ensure_settings(s, rt.box, project.account_id, project.id)

        row = await rt.db.write(work)
    return _project_out(rt, who, row)


@router.put(
    "/v1/projects/{project_id}/webhooks",
    response_model=ProjectWebhooksOut,
    openapi_extra=requires("admin"),
)
async def put_project_webhooks(
    project_id: str, body: ProjectWebhooksIn, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    """Replace both URLs (null removes one). Saving re-enables a URL disabled by 410 Gone."""

    async def work(s: AsyncSession) -> ProjectWebhooksOut:
        project = await accounts.get_project(s, who, project_id)
        row = await service.ensure_settings(s, rt.box, project.account_id, project.id)
        row = await service.save_urls(
            s, rt.settings, row, status_url=body.status_url, inbound_url=body.inbound_url
        )
        return _project_out(rt, who, row)

    return await rt.db.write(work)


@router.post(
    "/v1/projects/{project_id}/webhooks/rotate-secret",
    response_model=ProjectWebhooksOut,
    openapi_extra=requires("admin"),
)
async def rotate_project_secret(
    project_id: str, body: RotateSecretIn, rt: RuntimeDep, who: AccountCallerDep
) -> Any:
    """A new secret signs from now on; the previous one also signs during the overlap."""

    async def work(s: AsyncSession) -> ProjectWebhooksOut:
        project = await accounts.get_project(s, who, project_id)
        row = await service.ensure_settings(s, rt.box, project.account_id, project.id)
        row = await service.rotate_secret(s, rt.box, row, body.overlap_seconds)
        return _project_out(rt, who, row)

    return await rt.db.write(work)


@router.get(
    "/v1/projects/{project_id}/webhooks/deliveries",
    response_model=ListOf[DeliveryOut],
    openapi_extra=requires("read"),
)
async def list_project_deliveries(
    project_id: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
    event_id: EventIdQuery = None,
    limit: LimitQuery = 20,
    page_token: PageTokenQuery = None,
) -> Any:
    """One row per delivery attempt of the project's events, newest first."""
    async with rt.db.read() as s:
        project = await accounts.get_project(s, who, project_id)
        found = await service.list_deliveries(
            s,
            project.account_id,
            project_id=project.id,
            event_id=event_id,
            limit=limit,
            after=page_token,
        )
    return page(found, delivery_out)


# -- the account's default secret --------------------------------------------------------------


def _whole_account(who: Principal) -> str:
    if who.sub_account_id or who.project_id:
        raise Forbidden("The account's webhook secret needs a key for the whole account.")
    return who.account


@router.get("/v1/webhooks", response_model=AccountWebhooksOut, openapi_extra=requires("admin"))
async def get_account_webhooks(rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """The secret that signs per-message callbacks of traffic that has no project."""
    account_id = _whole_account(who)

    async def work(s: AsyncSession) -> AccountWebhooksOut:
        row = await service.ensure_settings(s, rt.box, account_id, None)
        return account_webhooks_out(row, rt.box, clock.now())

    return await rt.db.write(work)


@router.post(
    "/v1/webhooks/rotate-secret", response_model=AccountWebhooksOut, openapi_extra=requires("admin")
)
async def rotate_account_secret(body: RotateSecretIn, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    account_id = _whole_account(who)

    async def work(s: AsyncSession) -> AccountWebhooksOut:
        row = await service.ensure_settings(s, rt.box, account_id, None)
        row = await service.rotate_secret(s, rt.box, row, body.overlap_seconds)
        return account_webhooks_out(row, rt.box, clock.now())

    return await rt.db.write(work)


# -- events -------------------------------------------------------------------------------------


@router.get("/v1/events", response_model=ListOf[EventOut], openapi_extra=requires("read"))
async def list_events(
    rt: RuntimeDep,
    who: AccountCallerDep,
    type: Annotated[str | None, Query(max_length=100, description="Only this type.")] = None,
    project_id: Annotated[str | None, Query(max_length=40)] = None,
    limit: LimitQuery = 20,
    page_token: PageTokenQuery = None,
) -> Any:
    """The account's events (what webhooks carry), newest first."""
    async with rt.db.read() as s:
        found = await service.list_events(
            s, who, type=type, project_id=project_id, limit=limit, after=page_token
        )
    return page(found, event_out)


@router.get("/v1/events/{event_id}", response_model=EventOut, openapi_extra=requires("read"))
async def get_event(event_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    async with rt.db.read() as s:
        return event_out(await service.get_event(s, who, event_id))


@router.get(
    "/v1/events/{event_id}/deliveries",
    response_model=ListOf[DeliveryOut],
    openapi_extra=requires("read"),
)
async def list_event_deliveries(
    event_id: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
    limit: LimitQuery = 20,
    page_token: PageTokenQuery = None,
) -> Any:
    """Every attempt to deliver this event, to every target, newest first."""
    async with rt.db.read() as s:
        event = await service.get_event(s, who, event_id)
        found = await service.list_deliveries(
            s, event.account_id, project_id=None, event_id=event.id, limit=limit, after=page_token
        )
    return page(found, delivery_out)


@router.post(
    "/v1/events/{event_id}/redeliver",
    status_code=202,
    response_model=RedeliverOut,
    openapi_extra=requires("admin"),
)
async def redeliver_event(event_id: str, rt: RuntimeDep, who: AccountCallerDep) -> Any:
    """Send the event again now, with the same webhook-id, to every enabled target it has."""

    async def work(s: AsyncSession) -> RedeliverOut:
        return redeliver_out(event_id, await delivery.redeliver(s, who, event_id))

    return await rt.db.write(work)
