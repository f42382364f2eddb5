"""The application factory: one FastAPI app serving every surface."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from relaybox import __version__
from relaybox.errors import DomainError, MethodNotAllowed, NotFound
from relaybox.http.middleware import EdgeMiddleware
from relaybox.http.surfaces import surface_for_path
from relaybox.runtime import Runtime
from relaybox.settings import Settings

log = logging.getLogger("relaybox")

DESCRIPTION = """
relaybox serves several API dialects from one server, over one domain core:

* **native** (`/v1/projects/...`, `/v1/numbers`, `/v1/sms/...`, `/v1/keys`, ...) — Bearer keys
* **SMS & Voice platform** (`/api/v1/...`) — Bearer keys, 120 requests/min per key
* **use cases** (`POST /v1/sms/` with `use_case_id`) — Bearer keys
* **verify / lookup / messaging** (`/v1/sms`, `/v1/verify`, `/v1/requests/...`) — HTTP Basic
  `<key id>:<secret>`, 30 requests/s
* **Bird** (`/workspaces/...`, `/organizations/...`) — `Authorization: AccessKey <key>`

Every key works with every scheme. Test keys (`sk_test_...`) are the sandbox: their traffic goes
to the carrier simulator and is never billed.
"""


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, worker: bool = True
) -> FastAPI:
    settings = settings or (runtime.settings if runtime else Settings())
    rt = runtime or Runtime(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await rt.start(worker=worker)
        try:
            yield
        finally:
            await rt.stop()

    app = FastAPI(
        title="relaybox",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
        lifespan=lifespan,
    )
    app.state.runtime = rt
    from relaybox.surfaces import include_all

    include_all(app)
    app.add_middleware(
        EdgeMiddleware, max_body=settings.max_body_bytes, access_log=settings.access_log
    )

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        err: DomainError
        if exc.status_code == 404:
            err = NotFound(f"No route for {request.method} {request.url.path}.")
        elif exc.status_code == 405:
            err = MethodNotAllowed(f"{request.method} is not allowed on {request.url.path}.")
        else:
            err = DomainError(str(exc.detail), status=exc.status_code, code="http_error")
        return surface_for_path(request.url.path).response(err)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {})["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "description": "sk_live_... / sk_test_..."},
        "basic": {"type": "http", "scheme": "basic", "description": "<key id>:<secret>"},
        "accessKey": {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "AccessKey <secret>",
        },
    }
    app.openapi_schema = schema
    return schema


def all_routes(app: FastAPI) -> list[Any]:
    """Every route of the app, with included routers flattened."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # older FastAPI keeps a flat list
        return list(app.routes)
    return [ctx.original_route for ctx in iter_route_contexts(app.routes)]
