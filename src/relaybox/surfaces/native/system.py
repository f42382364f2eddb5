"""Operational routes: Prometheus metrics (operator keys)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select

from relaybox.http.deps import RuntimeDep
from relaybox.http.surface import requires, route_class
from relaybox.http.surfaces import NATIVE
from relaybox.jobs.models import DEAD, DONE, QUEUED, RUNNING, Job
from relaybox.metrics import JOBS_BY_STATE, REGISTRY

router = APIRouter(route_class=route_class(NATIVE), tags=["operations"])


@router.get("/metrics", openapi_extra=requires("operator"), response_class=Response)
async def metrics(rt: RuntimeDep) -> Response:
    async with rt.db.read() as s:
        rows = await s.execute(select(Job.state, func.count()).group_by(Job.state))
        counts = {state: count for state, count in rows.all()}
    for state in (QUEUED, RUNNING, DONE, DEAD):
        JOBS_BY_STATE.labels(state).set(counts.get(state, 0))
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
