"""Where an event goes (routing), what one attempt needs (plan) and what it left (the log).

Routing:
- an event with ``url`` (a per-message callback) goes to that URL only, signed with its
  project's secret, or the account's default secret when it has no project;
- otherwise to its project's endpoint for the type (``sms.inbound`` → inbound URL, everything
  else → status URL) and to every active Bird subscription of its sub-account whose event
  matches (Bird's ``sms.outbound`` is our ``sms.status``; ``x.*`` matches a family) and whose
  event filters all hold for the payload keys the payload has.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.accounts.models import Project
from relaybox.accounts.principal import Principal
from relaybox.crypto import SecretBox
from relaybox.errors import Conflict
from relaybox.jobs.queue import enqueue_many
from relaybox.storage.database import insert_later
from relaybox.webhooks import policy, repository, service
from relaybox.webhooks.models import (
    ACTIVE,
    CALLBACK,
    INBOUND,
    STATUS,
    SUBSCRIPTION,
    Event,
    WebhookDelivery,
    WebhookSettings,
    WebhookSubscription,
)

DELIVER_JOB = "webhooks.deliver"

# Bird event names that differ from ours.
BIRD_EVENTS = {"sms.outbound": "sms.status"}


@dataclass(frozen=True)
class Route:
    target: str  # status | inbound | callback | subscription
    url: str
    subscription_id: str | None = None


def subscription_wants(subscription: WebhookSubscription, event: Event) -> bool:
    wanted = BIRD_EVENTS.get(subscription.event, subscription.event)
    if wanted == "*":
        matched = True
    elif wanted.endswith(".*"):
        matched = event.type.startswith(wanted[:-1])
    else:
        matched = wanted == event.type
    return matched and filters_hold(subscription.event_filters, event.payload)


def filters_hold(filters: list[dict[str, Any]], payload: dict[str, Any]) -> bool:
    """Every filter whose key the payload has must match it (filters are AND-ed)."""
    for item in filters:
        key = str(item.get("key", ""))
        if key in payload and _text(payload[key]) != str(item.get("value", "")):
            return False
    return True


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return value if isinstance(value, str) else orjson.dumps(value).decode()


class _Directory:
    """What routing needs, read once per batch of events."""

    def __init__(self) -> None:
        self.settings: dict[str, WebhookSettings | None] = {}
        self.subscriptions: dict[tuple[str, str], list[WebhookSubscription]] = {}
        self.sub_accounts: dict[str, str | None] = {}

    async def load(self, session: AsyncSession, events: Sequence[Event]) -> None:
        projects = {e.project_id for e in events if e.project_id and not e.url} - set(self.settings)
        if projects:
            rows = await session.execute(
                select(WebhookSettings).where(WebhookSettings.owner_id.in_(projects))
            )
            found = {row.owner_id: row for row in rows.scalars()}
            for project_id in projects:
                self.settings[project_id] = found.get(project_id)
        unknown = {
            e.project_id for e in events if e.project_id and not e.url and e.sub_account_id is None
        } - set(self.sub_accounts)
        if unknown:
            rows2 = await session.execute(
                select(Project.id, Project.sub_account_id).where(Project.id.in_(unknown))
            )
            self.sub_accounts.update({pid: sub for pid, sub in rows2.all()})

    async def subscriptions_of(
        self, session: AsyncSession, account_id: str, sub_account_id: str
    ) -> list[WebhookSubscription]:
        key = (account_id, sub_account_id)
        if key not in self.subscriptions:
            self.subscriptions[key] = await repository.active_subscriptions(
                session, account_id, sub_account_id
            )
        return self.subscriptions[key]


async def _routes(session: AsyncSession, event: Event, directory: _Directory) -> list[Route]:
    if event.url:
        return [Route(CALLBACK, event.url)]
    routes: list[Route] = []
    sub_account_id = event.sub_account_id
    if event.project_id is not None:
        row = directory.settings.get(event.project_id)
        if row is not None:
            if event.type == "sms.inbound":
                role, url, disabled = INBOUND, row.inbound_url, row.inbound_url_disabled_at
            else:
                role, url, disabled = STATUS, row.status_url, row.status_url_disabled_at
            if url and disabled is None:
                routes.append(Route(role, url))
        if sub_account_id is None:
            sub_account_id = directory.sub_accounts.get(event.project_id)
    if sub_account_id is not None:
        for sub in await directory.subscriptions_of(session, event.account_id, sub_account_id):
            if subscription_wants(sub, event):
                routes.append(Route(SUBSCRIPTION, sub.url, sub.id))
    return routes


async def routes_for(session: AsyncSession, event: Event) -> list[Route]:
    directory = _Directory()
    await directory.load(session, [event])
    return await _routes(session, event, directory)


async def schedule_many(
    session: AsyncSession, events: Sequence[Event], *, redelivery: bool = False
) -> list[list[Route]]:
    """One delivery job per route of each event, in the caller's transaction. Each delivery's
    24 h window starts now."""
    directory = _Directory()
    await directory.load(session, events)
    deadline = (clock.now() + policy.WINDOW).isoformat()
    jobs: list[dict[str, Any]] = []
    all_routes = []
    for event in events:
        routes = await _routes(session, event, directory)
        all_routes.append(routes)
        jobs.extend(
            {
                "kind": DELIVER_JOB,
                "payload": {
                    "event_id": event.id,
                    "target": route.target,
                    "subscription_id": route.subscription_id,
                    "deadline": deadline,
                    "redelivery": redelivery,
                },
            }
            for route in routes
        )
    await enqueue_many(session, jobs)
    return all_routes


async def schedule(session: AsyncSession, event: Event, *, redelivery: bool = False) -> list[Route]:
    """One delivery job per route, in the caller's transaction. The window starts now."""
    (routes,) = await schedule_many(session, [event], redelivery=redelivery)
    return routes


async def redeliver(session: AsyncSession, who: Principal, event_id: str) -> list[Route]:
    """Send an event again, now, to where it goes today (same event id, new 24 h window)."""
    event = await service.get_event(session, who, event_id)
    routes = await schedule(session, event, redelivery=True)
    if not routes:
        raise Conflict("This event has no enabled endpoint to go to; configure or re-enable one.")
    return routes


# -- one attempt ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A delivery job's payload."""

    event_id: str
    target: str
    subscription_id: str | None
    deadline: datetime
    redelivery: bool

    @classmethod
    def load(cls, payload: dict[str, Any]) -> Job:
        return cls(
            event_id=str(payload["event_id"]),
            target=str(payload["target"]),
            subscription_id=payload.get("subscription_id"),
            deadline=datetime.fromisoformat(str(payload["deadline"])),
            redelivery=bool(payload.get("redelivery", False)),
        )


@dataclass(frozen=True)
class Plan:
    """Everything one attempt needs, read before any network I/O."""

    job: Job
    account_id: str
    sub_account_id: str | None
    project_id: str | None
    url: str
    body: bytes
    secrets: list[str]
    skip: str | None = None  # why nothing is sent (endpoint removed or disabled)


class SecretMissing(Exception):
    """The callback's signing secret does not exist yet; plan again in a write."""


async def plan(
    session: AsyncSession, box: SecretBox, job: Job, *, may_write: bool = False
) -> Plan | None:
    """What to send where, or None when the event is gone (see plan_many)."""
    (found,) = await plan_many(session, box, [job], may_write=may_write)
    if isinstance(found, SecretMissing):
        raise found
    return found


async def plan_many(
    session: AsyncSession, box: SecretBox, jobs: Sequence[Job], *, may_write: bool = False
) -> list[Plan | SecretMissing | None]:
    """Plans for many delivery jobs with one query per kind of row they need.

    A per-message callback of a project (or account) that never had webhook settings needs its
    secret made first: without ``may_write`` its entry is a SecretMissing.
    """
    events = {
        e.id: e
        for e in (
            await session.execute(select(Event).where(Event.id.in_({j.event_id for j in jobs})))
        ).scalars()
    }
    owners = {e.project_id or e.account_id for e in events.values()}
    settings = {
        row.owner_id: row
        for row in (
            await session.execute(
                select(WebhookSettings).where(WebhookSettings.owner_id.in_(owners))
            )
        ).scalars()
    }
    sub_ids = {j.subscription_id for j in jobs if j.subscription_id}
    subs = (
        {
            row.id: row
            for row in (
                await session.execute(
                    select(WebhookSubscription).where(WebhookSubscription.id.in_(sub_ids))
                )
            ).scalars()
        }
        if sub_ids
        else {}
    )
    plans: list[Plan | SecretMissing | None] = []
    for job in jobs:
        event = events.get(job.event_id)
        if event is None:
            plans.append(None)
            continue
        owner = event.project_id or event.account_id
        if job.target == CALLBACK and owner not in settings:
            if not may_write:
                plans.append(SecretMissing(event.id))
                continue
            settings[owner] = await service.ensure_settings(
                session, box, event.account_id, event.project_id
            )
        plans.append(_plan(box, job, event, settings.get(owner), subs))
    return plans


def _plan(
    box: SecretBox,
    job: Job,
    event: Event,
    row: WebhookSettings | None,
    subs: dict[str, WebhookSubscription],
) -> Plan:
    base: dict[str, Any] = {
        "job": job,
        "account_id": event.account_id,
        "sub_account_id": event.sub_account_id,
        "project_id": event.project_id,
        "body": orjson.dumps(event.payload),
    }
    if job.target == SUBSCRIPTION:
        sub = subs.get(job.subscription_id or "")
        if sub is None:
            return Plan(**base, url="", secrets=[], skip="subscription was deleted")
        skip = None if sub.status == ACTIVE else "subscription is disabled"
        return Plan(**base, url=sub.url, secrets=[box.decrypt(sub.signing_key)], skip=skip)
    if job.target == CALLBACK:
        assert row is not None
        return Plan(
            **base,
            url=event.url or "",
            secrets=service.signing_secrets(box, row),
            skip=None if event.url else "event has no callback URL",
        )
    if row is None:
        return Plan(**base, url="", secrets=[], skip="project has no webhook settings")
    if job.target == INBOUND:
        url, disabled = row.inbound_url, row.inbound_url_disabled_at
    else:
        url, disabled = row.status_url, row.status_url_disabled_at
    if not url:
        return Plan(**base, url="", secrets=[], skip=f"project has no {job.target} URL any more")
    skip = "endpoint is disabled (it answered 410 Gone)" if disabled is not None else None
    return Plan(**base, url=url, secrets=service.signing_secrets(box, row), skip=skip)


@dataclass(frozen=True)
class Attempt:
    """What one attempt left for the log."""

    number: int
    outcome: str  # succeeded | retrying | failed | gave_up
    status_code: int | None = None
    error: str | None = None
    latency_ms: int | None = None
    response_body: str | None = None
    next_attempt_at: datetime | None = None
    disable: bool = False  # the endpoint answered 410 Gone


async def record(session: AsyncSession, plan: Plan, attempt: Attempt) -> None:
    await record_many(session, [(plan, attempt)])


async def record_many(session: AsyncSession, attempts: Sequence[tuple[Plan, Attempt]]) -> None:
    """Log attempts (one row each); disable endpoints that answered 410 Gone."""
    now = clock.now()
    for plan, attempt in attempts:
        job = plan.job
        error = attempt.error
        if attempt.disable and job.target != CALLBACK:
            error = f"{error}; endpoint disabled until an admin re-enables it"
        insert_later(
            session,
            WebhookDelivery,
            {
                "id": ids.new_id("whd"),
                "event_id": job.event_id,
                "account_id": plan.account_id,
                "sub_account_id": plan.sub_account_id,
                "project_id": plan.project_id,
                "target": job.target,
                "subscription_id": job.subscription_id,
                "url": plan.url,
                "attempt": attempt.number,
                "redelivery": job.redelivery,
                "outcome": attempt.outcome,
                "status_code": attempt.status_code,
                "error": error[:2000] if error else None,
                "latency_ms": attempt.latency_ms,
                "response_body": attempt.response_body,
                "next_attempt_at": attempt.next_attempt_at,
                "created_at": now,
            },
        )
        if attempt.disable and job.target in (STATUS, INBOUND) and plan.project_id:
            await repository.disable_settings_url(
                session, plan.project_id, job.target, plan.url, now
            )
        elif attempt.disable and job.target == SUBSCRIPTION and job.subscription_id:
            await repository.disable_subscription(session, job.subscription_id, plan.url, now)
