"""Spec 001's public endpoints: ping and platform status."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select

from relaybox import clock
from relaybox.http.deps import RuntimeDep
from relaybox.http.surface import PUBLIC, route_class
from relaybox.http.surfaces import SMSVOIP
from relaybox.jobs.models import DEAD, QUEUED, Job

router = APIRouter(route_class=route_class(SMSVOIP), tags=["platform"])


class Ping(BaseModel):
    status: str
    time: str


class Component(BaseModel):
    name: str
    status: str
    detail: str | None = None


class Status(BaseModel):
    status: str
    notice: str | None
    components: list[Component]


CARRIER_STATUS = {"up": "operational", "degraded": "degraded", "down": "outage"}


def carrier_component(name: str, health: dict[str, Any]) -> Component:
    """A carrier adapter running in this process, coarsely: the public page shows whether the
    network is reachable, not hosts or bind details (operators read health() in logs/tests)."""
    detail = None
    connections = health.get("connections")
    if isinstance(connections, dict):
        up = sum(1 for c in connections.values() if c.get("status") == "up")
        detail = f"{up} of {len(connections)} connections up"
    return Component(
        name=f"carrier:{name}",
        status=CARRIER_STATUS.get(str(health.get("status")), "degraded"),
        detail=detail,
    )


@router.get("/api/v1/ping", response_model=Ping, openapi_extra=PUBLIC)
async def ping() -> Any:
    return Ping(status="ok", time=clock.now().isoformat().replace("+00:00", "Z"))


@router.get("/api/v1/status", response_model=Status, openapi_extra=PUBLIC)
async def status(rt: RuntimeDep) -> Any:
    components = [Component(name="api", status="operational")]
    db_ok = await rt.db.ping()
    components.append(Component(name="database", status="operational" if db_ok else "outage"))
    if db_ok:
        async with rt.db.read() as s:
            overdue = (
                await s.execute(
                    select(func.count())
                    .select_from(Job)
                    .where(Job.state == QUEUED, Job.run_at < clock.now())
                )
            ).scalar_one()
            dead = (
                await s.execute(select(func.count()).select_from(Job).where(Job.state == DEAD))
            ).scalar_one()
        worker = "operational" if overdue < 1000 else "degraded"
        components.append(
            Component(name="jobs", status=worker, detail=f"{overdue} due, {dead} dead-lettered")
        )
    for name, health in rt.carriers.health().items():
        components.append(carrier_component(name, health))
    overall = "operational"
    if any(c.status == "outage" for c in components):
        overall = "outage"
    elif any(c.status == "degraded" for c in components):
        overall = "degraded"
    notice = None if overall == "operational" else "Some components are impaired."
    return Status(status=overall, notice=notice, components=components)
