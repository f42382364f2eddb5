"""API surfaces and the route class every router uses.

The route class is where every request is authenticated (before its body is even parsed),
scope-checked, rate-limited, made idempotent and audited, and where any DomainError is
rendered in the surface's own envelope. A route must declare how it is authorised
(``requires(scope)``, ``PUBLIC``, ``OPTIONAL_KEY`` or its own ``x-auth``): a route that does
not is refused at start-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ClassVar

import orjson
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from relaybox.accounts.principal import Principal
from relaybox.errors import DomainError, Forbidden, InsufficientScope, Unauthorized
from relaybox.http import idempotency
from relaybox.http.auth import authenticate
from relaybox.http.ratelimit import Limit
from relaybox.http.rendering import Renderer, from_validation
from relaybox.logs import request_id_var
from relaybox.settings import Settings

log = logging.getLogger("relaybox.http")

SECURITY: list[dict[str, list[str]]] = [{"bearer": []}, {"basic": []}, {"accessKey": []}]
PUBLIC: dict[str, Any] = {"x-auth": "public", "security": []}
OPTIONAL_KEY: dict[str, Any] = {"x-auth": "optional", "security": [{}, *SECURITY]}
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def requires(scope: str) -> dict[str, Any]:
    """Route metadata: an API key with at least ``scope`` is required."""
    return {"x-auth": "key", "x-required-scope": scope, "security": SECURITY}


def custom_auth(name: str) -> dict[str, Any]:
    """Route metadata: the route authenticates itself (e.g. a per-project pipeline secret)."""
    return {"x-auth": name, "security": []}


@dataclass(frozen=True)
class Surface:
    name: str
    render: Renderer
    limit: Callable[[Settings], Limit]

    def response(self, err: DomainError) -> Response:
        status, body = self.render(err, request_id_var.get())
        return Response(
            orjson.dumps(body),
            status_code=status,
            headers=err.headers,
            media_type="application/json",
        )


class SurfaceRoute(APIRoute):
    surface: ClassVar[Surface]

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()
        extra = self.openapi_extra or {}
        auth = extra.get("x-auth")
        scope = extra.get("x-required-scope")
        if auth not in ("key", "optional", "public") and not str(auth or "").startswith("custom"):
            raise RuntimeError(f"route {self.methods} {self.path} does not declare its auth")
        if auth == "key" and scope is None:
            raise RuntimeError(f"route {self.methods} {self.path} declares no scope")
        surface = self.surface
        action = self.name
        mutating = bool((self.methods or set()) & MUTATING)
        status_code = self.status_code or 200

        async def handle(request: Request) -> Response:
            runtime = request.app.state.runtime
            principal: Principal | None = None
            rate_headers: dict[str, str] = {}
            request.state.surface = surface
            try:
                if auth == "key" or (auth == "optional" and "authorization" in request.headers):
                    principal = await authenticate(request, runtime)
                    if scope is not None and not principal.allows(scope):
                        raise InsufficientScope(f"This route requires the {scope} scope.")
                    limit = surface.limit(runtime.settings)
                    if principal.rate_limit_per_minute:
                        limit = Limit(principal.rate_limit_per_minute, 60)
                    rate_headers = runtime.limiter.take(
                        principal.key_id, surface.name, limit
                    ).headers()
                request.state.principal = principal
                if mutating and principal is not None and "idempotency-key" in request.headers:
                    response = await idempotency.run(
                        request, runtime, principal, inner, status_code
                    )
                else:
                    response = await inner(request)
            except DomainError as err:
                response = surface.response(err)
            except RequestValidationError as err:
                response = surface.response(from_validation(err))
            except StarletteHTTPException as err:
                response = surface.response(
                    DomainError(str(err.detail), status=err.status_code, code="http_error")
                )
            response.headers.update(rate_headers)
            if mutating and principal is not None:
                _audit(runtime, request, principal, action, response)
            return response

        return handle


def _audit(runtime: Any, request: Request, who: Principal, action: str, response: Response) -> None:
    params = request.path_params
    resource = next(iter(params.values()), None) if params else None
    if resource is None and 200 <= response.status_code < 300 and isinstance(response, Response):
        try:
            body = orjson.loads(bytes(response.body))
            if isinstance(body, dict):
                resource = body.get("id") or body.get("message_id") or body.get("requestId")
        except (orjson.JSONDecodeError, TypeError, AttributeError):
            resource = None
    runtime.audit.record(
        account_id=who.account_id,
        sub_account_id=who.sub_account_id,
        project_id=params.get("project_id") or who.project_id,
        key_id=who.key_id,
        action=action,
        method=request.method,
        path=request.url.path[:500],
        resource_id=str(resource)[:100] if resource else None,
        status_code=response.status_code,
        request_id=request_id_var.get() or "",
        ip=request.client.host if request.client else None,
    )


def route_class(surface: Surface) -> type[SurfaceRoute]:
    return type(f"{surface.name.title()}Route", (SurfaceRoute,), {"surface": surface})


async def current_principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        raise Unauthorized()
    return principal


async def account_principal(request: Request) -> Principal:
    """The caller, who must act within an account (not an operator key)."""
    principal = await current_principal(request)
    if principal.account_id is None:
        raise Forbidden("Operator keys manage accounts; use an account key for this.")
    return principal


def json_response(body: Any, status: int = 200) -> Response:
    """A JSON response serialized with orjson (for hot routes that build plain dicts)."""
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")
