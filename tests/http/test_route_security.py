"""Every route authenticates, checks scope and hides other tenants' resources.

This test walks every route of the app, so a route added later is covered automatically; a
route whose path parameters or body the test cannot fill fails here until it is described in
PARAMS / BODIES below.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import ids
from relaybox.accounts.keys import SCOPES
from relaybox.http.app import all_routes
from relaybox.http.surface import SurfaceRoute
from relaybox.runtime import Runtime
from tests.support import Tenant

# Routes anyone may call (the documented public ones).
PUBLIC = {
    ("GET", "/api/v1/ping"),
    ("GET", "/api/v1/status"),
    ("GET", "/api/v1/rates"),
}

Factory = Callable[[Runtime, Tenant], Awaitable[str]]


async def _project(rt: Runtime, t: Tenant) -> str:
    return t.project_id


async def _sub_account(rt: Runtime, t: Tenant) -> str:
    return t.sub_account_id


async def _key(rt: Runtime, t: Tenant) -> str:
    return t.key_id("read", "test")


async def _account(rt: Runtime, t: Tenant) -> str:
    return t.account_id


async def _message(rt: Runtime, t: Tenant) -> str:

    from relaybox.accounts.principal import Principal
    from relaybox.messaging import service as messaging

    who = Principal(t.key_id("deploy"), t.account_id, None, None, "deploy", "test")

    async def work(s: AsyncSession) -> str:
        m = await messaging.send(
            s,
            who,
            messaging.SendRequest(to="+15551230000", body="x", project_id=t.project_id),
            sandbox_sender="+15005550000",
            validity_seconds=600,
        )
        return m.id

    return await rt.db.write(work)


async def _event(rt: Runtime, t: Tenant) -> str:
    from relaybox.webhooks.events import emit

    async def work(s: AsyncSession) -> str:
        event = await emit(
            s,
            account_id=t.account_id,
            sub_account_id=t.sub_account_id,
            project_id=t.project_id,
            type="sms.status",
            payload={"status": "x"},
        )
        return event.id

    return await rt.db.write(work)


class Shared(str):
    """A path value that is not any tenant's resource (no 404 expected for "another tenant")."""


async def _handset(rt: Runtime, t: Tenant) -> str:
    return Shared("+15551230000")


async def _organization(rt: Runtime, t: Tenant) -> str:
    return ids.as_uuid(t.account_id)


async def _workspace(rt: Runtime, t: Tenant) -> str:
    return ids.as_uuid(t.sub_account_id)


async def _webhook_subscription(rt: Runtime, t: Tenant) -> str:
    from relaybox.webhooks import service

    async def work(s: AsyncSession) -> str:
        fields = service.SubscriptionFields(
            service="channels",
            event="sms.outbound",
            event_filters=[],
            template=None,
            url="https://example.com/hook",
        )
        sub = await service.create_subscription(
            s,
            rt.box,
            rt.settings,
            account_id=t.account_id,
            sub_account_id=t.sub_account_id,
            fields=fields,
            signing_key=None,
        )
        return ids.as_uuid(sub.id)

    return await rt.db.write(work)


async def _number(rt: Runtime, t: Tenant) -> str:
    from tests.numbers.support import held_number

    return await held_number(rt, t)


async def _bird_number(rt: Runtime, t: Tenant) -> str:
    return ids.as_uuid(await _number(rt, t))


async def _port_order(rt: Runtime, t: Tenant) -> str:
    from tests.numbers.support import port_order

    return await port_order(rt, t)


async def _country(rt: Runtime, t: Tenant) -> str:
    return Shared("US")


# How to get a resource of a given tenant for each path parameter name.
PARAMS: dict[str, Factory] = {
    "project_id": _project,
    "sub_account_id": _sub_account,
    "key_id": _key,
    "account_id": _account,
    "message_id": _message,
    "request_id": _message,
    "number": _handset,
    "event_id": _event,
    "organizationId": _organization,
    "workspaceId": _workspace,
    "webhookSubscriptionId": _webhook_subscription,
    "number_id": _number,
    "numberId": _bird_number,
    "order_id": _port_order,
    "country": _country,
}

BIRD_SUBSCRIPTIONS = (
    "/organizations/{organizationId}/workspaces/{workspaceId}/webhook-subscriptions"
)

# A valid body for each route that takes one, so the tenant check is what answers.
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/sub-accounts"): {"name": "x"},
    ("POST", "/v1/projects"): {"name": "x", "sub_account_id": "sub_x"},
    ("POST", "/v1/keys"): {"scope": "read", "mode": "test"},
    ("POST", "/v1/keys/{key_id}/rotate"): {"grace_seconds": 0},
    ("POST", "/v1/admin/accounts"): {"name": "x"},
    ("POST", "/v1/admin/accounts/{account_id}/keys"): {"scope": "read", "mode": "test"},
    ("POST", "/v1/projects/{project_id}/sms/send"): {"to": "+15551230000", "body": "x"},
    ("POST", "/v1/projects/{project_id}/sms/opt-out"): {"number": "+15551230000"},
    ("POST", "/v1/projects/{project_id}/sms/activate"): {"country": "US", "numberType": "local"},
    ("POST", "/v1/projects/{project_id}/sms/otp/request"): {"to": "+15551230000"},
    ("POST", "/v1/projects/{project_id}/sms/otp/verify"): {"to": "+15551230000", "code": "1"},
    ("POST", "/v1/simulator/handsets/{number}/messages"): {"to": "+15557890000", "body": "x"},
    ("POST", "/api/v1/sms/send"): {"to": "+15551230000", "text": "x"},
    ("PUT", "/v1/projects/{project_id}/webhooks"): {"status_url": "https://example.com/s"},
    ("POST", "/v1/projects/{project_id}/webhooks/rotate-secret"): {"overlap_seconds": 0},
    ("POST", "/v1/webhooks/rotate-secret"): {"overlap_seconds": 0},
    ("POST", BIRD_SUBSCRIPTIONS): {
        "service": "channels",
        "event": "sms.outbound",
        "url": "https://example.com/hook",
    },
    ("PATCH", BIRD_SUBSCRIPTIONS + "/{webhookSubscriptionId}"): {"status": "active"},
    ("POST", "/v1/numbers"): {"country": "US"},
    ("POST", "/v1/numbers/port-in"): {"number": "+14155552671", "carrier": "Acme"},
    ("POST", "/v1/numbers/{number_id}/transfer"): {"subAccountId": "sub_x"},
    ("POST", "/v1/admin/accounts/{account_id}/top-up"): {"amount": "1.00"},
    ("PUT", "/v1/admin/rates/{country}"): {"sms": "0.01", "voice": "0.02"},
    ("PUT", "/v1/admin/accounts/{account_id}/rates/{country}"): {"sms": "0.01", "voice": "0.02"},
    ("POST", "/api/v1/voip/topup"): {"amount": 1},
    ("POST", "/workspaces/{workspaceId}/numbers-reservations"): {
        "numberStockItemIds": ["0190b5a0-0000-7000-8000-000000000000"]
    },
    ("POST", "/workspaces/{workspaceId}/numbers"): {
        "numbers": [{"number": "+14155552671", "country": "US"}]
    },
    ("POST", "/workspaces/{workspaceId}/numbers-long-code"): {
        "numberStockItemIds": ["0190b5a0-0000-7000-8000-000000000000"]
    },
}


def surface_routes(app: Any) -> list[SurfaceRoute]:
    routes = []
    for route in all_routes(app):
        if isinstance(route, APIRoute):
            assert isinstance(route, SurfaceRoute), f"{route.path} bypasses the surface route"
            routes.append(route)
    return routes


async def fill(path: str, rt: Runtime, t: Tenant) -> tuple[str, bool]:
    """The path with this tenant's resources; and whether any of them is tenant-owned."""
    owned = False
    for name in re.findall(r"{(\w+)(?::\w+)?}", path):
        assert name in PARAMS, f"no resource factory for path parameter {name!r} ({path})"
        value = await PARAMS[name](rt, t)
        owned = owned or not isinstance(value, Shared)
        path = re.sub(r"{" + name + r"(?::\w+)?}", str(value), path)
    return path, owned


async def test_every_route_authenticates_checks_scope_and_tenant(
    app: Any, client: Any, runtime: Runtime, tenant: Tenant, other_tenant: Tenant
) -> None:
    problems: list[str] = []
    checked = 0
    for route in surface_routes(app):
        extra = route.openapi_extra or {}
        auth = extra.get("x-auth")
        for method in sorted(route.methods):
            key = (method, route.path)
            if key in PUBLIC:
                assert auth in ("public", "optional"), f"{key} should be public"
                continue
            assert auth not in ("public", "optional"), f"{key} is public but not documented so"
            body = BODIES.get(key)
            if route.body_field is not None and body is None:
                problems.append(f"{key}: add a sample body to BODIES")
                continue
            own, _ = await fill(route.path, runtime, tenant)
            theirs, tenant_owned = await fill(route.path, runtime, other_tenant)
            kwargs: dict[str, Any] = {"json": body} if body is not None else {}
            checked += 1

            r = await client.request(method, own, **kwargs)
            if r.status_code != 401:
                problems.append(f"{key} without a key answered {r.status_code}")
            r = await client.request(
                method, own, headers={"Authorization": "Bearer nope"}, **kwargs
            )
            if r.status_code != 401:
                problems.append(f"{key} with a malformed key answered {r.status_code}")
            if str(auth).startswith("custom"):
                continue
            scope = extra["x-required-scope"]
            rank = SCOPES.index(scope)
            if rank > 0 and scope != "operator":
                r = await client.request(
                    method, own, headers=tenant.headers(SCOPES[rank - 1]), **kwargs
                )
                if r.status_code != 403:
                    problems.append(f"{key} with scope {SCOPES[rank - 1]} answered {r.status_code}")
            if scope == "operator":
                r = await client.request(method, own, headers=tenant.headers("admin"), **kwargs)
                if r.status_code != 403:
                    problems.append(f"{key} with an account admin key answered {r.status_code}")
                continue
            if tenant_owned:
                r = await client.request(method, theirs, headers=tenant.headers(scope), **kwargs)
                if r.status_code != 404:
                    problems.append(
                        f"{key} on another tenant's resource answered "
                        f"{r.status_code}: {r.text[:200]}"
                    )
    assert checked > 10
    assert not problems, "\n".join(problems)
