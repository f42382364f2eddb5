"""API surfaces. Each package exposes ``routers``; include_all mounts them on the app."""

from __future__ import annotations

import importlib

from fastapi import FastAPI
from starlette.routing import BaseRoute

SURFACE_PACKAGES = [
    "relaybox.surfaces.native",
    "relaybox.surfaces.smsvoip",
    "relaybox.surfaces.verify",
    "relaybox.surfaces.bird",
]


HOT_PATHS = frozenset(
    {
        "/v1/projects/{project_id}/sms/send",
        "/api/v1/sms/send",
        "/v1/sms",
        "/v1/sms/",
    }
)


def include_all(app: FastAPI) -> None:
    """Mount every surface's routes on the app's own router, as one flat list.

    (``include_router`` wraps each router for lazy, prefix-aware matching, which costs more per
    request than everything else the ping route does; our routers have no prefixes to combine.)
    """
    routes: list[BaseRoute] = []
    for name in SURFACE_PACKAGES:
        module = importlib.import_module(name)
        for router in module.routers:
            routes.extend(router.routes)
    # Routes are matched in order: the send paths, which carry most traffic, go first.
    routes.sort(key=lambda r: getattr(r, "path", "") not in HOT_PATHS)
    app.router.routes.extend(routes)
