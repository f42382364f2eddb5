"""Spec 004 webhook subscriptions: create, list, get, update, delete.

A subscription belongs to a workspace (our sub-account) of an organization (our account). Ids are
shown as UUIDs and accepted as UUIDs or in our prefixed form. Deliveries carry the event's own
JSON body (``template`` is stored and shown, not applied) and are signed with ``signingKey``
(given, or generated as a ``whsec_`` secret) exactly like every other relaybox webhook.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import ids
from relaybox.accounts import service as accounts
from relaybox.accounts.principal import Principal
from relaybox.crypto import SecretBox
from relaybox.errors import NotFound
from relaybox.http.deps import AccountCallerDep, RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import BIRD
from relaybox.storage.pagination import Page
from relaybox.webhooks import service
from relaybox.webhooks.models import WebhookSubscription
from relaybox.webhooks.targets import MAX_URL_LENGTH

router = APIRouter(route_class=route_class(BIRD), tags=["bird: webhooks"])

BASE = "/organizations/{organizationId}/workspaces/{workspaceId}/webhook-subscriptions"
ONE = BASE + "/{webhookSubscriptionId}"


class EventFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=100)
    value: str = Field(max_length=400)


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str = Field(default="channels", min_length=1, max_length=50)
    event: str = Field(min_length=1, max_length=100, description="e.g. sms.outbound, sms.inbound")
    eventFilters: list[EventFilter] = Field(default_factory=list, max_length=20)
    template: str | None = Field(default=None, max_length=50)
    url: str = Field(min_length=1, max_length=MAX_URL_LENGTH)
    signingKey: str | None = Field(default=None, min_length=8, max_length=400)


class SubscriptionPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: str | None = Field(default=None, min_length=1, max_length=50)
    event: str | None = Field(default=None, min_length=1, max_length=100)
    eventFilters: list[EventFilter] | None = Field(default=None, max_length=20)
    template: str | None = Field(default=None, max_length=50)
    url: str | None = Field(default=None, min_length=1, max_length=MAX_URL_LENGTH)
    signingKey: str | None = Field(default=None, min_length=8, max_length=400)
    status: Literal["active", "disabled"] | None = None


class SubscriptionOut(BaseModel):
    id: str
    organizationId: str
    workspaceId: str
    service: str
    event: str
    eventFilters: list[dict[str, Any]]
    template: str | None
    url: str
    signingKey: str
    status: str
    createdAt: str
    updatedAt: str


class SubscriptionList(BaseModel):
    results: list[SubscriptionOut]
    nextPageToken: str | None = None


def bird_time(at: datetime) -> str:
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def subscription_out(sub: WebhookSubscription, box: SecretBox) -> SubscriptionOut:
    return SubscriptionOut(
        id=ids.as_uuid(sub.id),
        organizationId=ids.as_uuid(sub.account_id),
        workspaceId=ids.as_uuid(sub.sub_account_id),
        service=sub.service,
        event=sub.event,
        eventFilters=sub.event_filters,
        template=sub.template,
        url=sub.url,
        signingKey=box.decrypt(sub.signing_key),
        status=sub.status,
        createdAt=bird_time(sub.created_at),
        updatedAt=bird_time(sub.updated_at),
    )


async def _workspace(
    s: AsyncSession, who: Principal, organization_id: str, workspace_id: str
) -> tuple[str, str]:
    """(account id, sub-account id) of a workspace the caller may see, or 404."""
    account_id = ids.parse_id("acct", organization_id)
    sub_account_id = ids.parse_id("sub", workspace_id)
    if account_id is None or sub_account_id is None or account_id != who.account:
        raise NotFound("Workspace not found.")
    try:
        sub = await accounts.get_sub_account(s, who, sub_account_id)
    except NotFound:
        raise NotFound("Workspace not found.") from None
    if who.project_id:  # a project key does not manage its workspace's subscriptions
        raise NotFound("Workspace not found.")
    return sub.account_id, sub.id


async def _subscription(
    s: AsyncSession, who: Principal, organization_id: str, workspace_id: str, subscription_id: str
) -> WebhookSubscription:
    account_id, sub_account_id = await _workspace(s, who, organization_id, workspace_id)
    canonical = ids.parse_id("whs", subscription_id)
    if canonical is None:
        raise NotFound("Webhook subscription not found.")
    return await service.get_subscription(s, account_id, sub_account_id, canonical)


@router.post(BASE, status_code=201, response_model=SubscriptionOut, openapi_extra=requires("admin"))
async def create_webhook_subscription(
    organizationId: str,
    workspaceId: str,
    body: SubscriptionIn,
    rt: RuntimeDep,
    who: AccountCallerDep,
) -> Any:
    async def work(s: AsyncSession) -> SubscriptionOut:
        account_id, sub_account_id = await _workspace(s, who, organizationId, workspaceId)
        fields = service.SubscriptionFields(
            service=body.service,
            event=body.event,
            event_filters=[f.model_dump() for f in body.eventFilters],
            template=body.template,
            url=body.url,
        )
        sub = await service.create_subscription(
            s,
            rt.box,
            rt.settings,
            account_id=account_id,
            sub_account_id=sub_account_id,
            fields=fields,
            signing_key=body.signingKey,
        )
        return subscription_out(sub, rt.box)

    return await rt.db.write(work)


@router.get(BASE, response_model=SubscriptionList, openapi_extra=requires("read"))
async def list_webhook_subscriptions(
    organizationId: str,
    workspaceId: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
    limit: Annotated[int, Query(ge=1, le=99)] = 10,
    pageToken: Annotated[str | None, Query(max_length=8000)] = None,
) -> Any:
    async with rt.db.read() as s:
        account_id, sub_account_id = await _workspace(s, who, organizationId, workspaceId)
        found: Page[WebhookSubscription] = await service.list_subscriptions(
            s, account_id, sub_account_id, limit, pageToken
        )
    return SubscriptionList(
        results=[subscription_out(x, rt.box) for x in found.items], nextPageToken=found.next_cursor
    )


@router.get(ONE, response_model=SubscriptionOut, openapi_extra=requires("read"))
async def get_webhook_subscription(
    organizationId: str,
    workspaceId: str,
    webhookSubscriptionId: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
) -> Any:
    async with rt.db.read() as s:
        sub = await _subscription(s, who, organizationId, workspaceId, webhookSubscriptionId)
    return subscription_out(sub, rt.box)


@router.patch(ONE, response_model=SubscriptionOut, openapi_extra=requires("admin"))
async def update_webhook_subscription(
    organizationId: str,
    workspaceId: str,
    webhookSubscriptionId: str,
    body: SubscriptionPatch,
    rt: RuntimeDep,
    who: AccountCallerDep,
) -> Any:
    """Change fields; ``{"status": "active"}`` re-enables a subscription disabled by 410 Gone."""
    given = body.model_dump(exclude_unset=True)
    names = {"eventFilters": "event_filters", "signingKey": "signing_key"}
    changes = {names.get(k, k): v for k, v in given.items() if v is not None or k == "template"}

    async def work(s: AsyncSession) -> SubscriptionOut:
        sub = await _subscription(s, who, organizationId, workspaceId, webhookSubscriptionId)
        sub = await service.update_subscription(s, rt.box, rt.settings, sub, changes)
        return subscription_out(sub, rt.box)

    return await rt.db.write(work)


@router.delete(ONE, status_code=204, response_class=Response, openapi_extra=requires("admin"))
async def delete_webhook_subscription(
    organizationId: str,
    workspaceId: str,
    webhookSubscriptionId: str,
    rt: RuntimeDep,
    who: AccountCallerDep,
) -> Response:
    async def work(s: AsyncSession) -> None:
        sub = await _subscription(s, who, organizationId, workspaceId, webhookSubscriptionId)
        await service.delete_subscription(s, sub)

    await rt.db.write(work)
    return Response(status_code=204)
