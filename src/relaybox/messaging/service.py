"""Sending SMS: one use case under every surface that sends.

A send is checked in two steps. ``prepare`` does every check that needs no database (number,
body, encoding, geo permissions). ``accept`` then handles a whole batch of prepared sends in one
transaction: one query for their projects, one for opt-outs, one insert per table for messages
and their submit jobs. The Accepter (accepter.py) batches concurrent requests this way; ``send``
is the same path for one message inside a caller's transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.accounts.principal import Principal
from relaybox.carriers.simulator.outcomes import is_simulated_landline
from relaybox.domain import encoding, phone
from relaybox.errors import DomainError, InvalidNumber, NotFound
from relaybox.jobs import enqueue
from relaybox.messaging import charges, pricing, senders
from relaybox.messaging.errors import (
    BodyInvalid,
    LandlineDestination,
    RecipientOptedOut,
    RegionNotPermitted,
    SameNumber,
)
from relaybox.messaging.models import Message
from relaybox.storage import raw
from relaybox.storage.database import insert_later

SUBMIT_JOB = "sms.submit"
MAX_BODY = 1600
Hook = Callable[[AsyncSession, Any], Awaitable[None]]


@dataclass
class SendRequest:
    to: str
    body: str
    sender: str | None = None
    project_id: str | None = None
    callback_url: str | None = None
    surface: str = "native"
    kind: str = "message"
    payload: dict[str, Any] | None = field(default=None)
    validity_seconds: int | None = None
    check_project: bool = False  # the project id came from the caller: check it is theirs


@dataclass
class Draft:
    """A send that passed every check that needs no database."""

    who: Principal
    req: SendRequest
    to: phone.PhoneInfo
    shape: encoding.Encoded
    expires_at: datetime
    hook: Hook | None = None  # runs in the accepting transaction with the result (idempotency)


def check_body(body: str) -> None:
    if not body or not body.strip():
        raise BodyInvalid.field("body", "The message body is empty.")
    if len(body) > MAX_BODY:
        raise BodyInvalid.field("body", f"The message body is over {MAX_BODY} characters (21617).")


def prepare(who: Principal, req: SendRequest, *, validity_seconds: int) -> Draft:
    check_body(req.body)
    to = phone.parse(req.to)
    if not who.is_test and not to.valid:
        raise InvalidNumber(f"{req.to} is not a valid phone number (21211).")
    if phone.is_landline(to) or is_simulated_landline(to.e164):
        raise LandlineDestination()
    if who.geo_permissions is not None and to.country not in who.geo_permissions:
        raise RegionNotPermitted(
            f"This account may not send to {to.country or 'that country'} (21408)."
        )
    if req.sender:
        phone.sender_kind(req.sender)
    return Draft(
        who=who,
        req=req,
        to=to,
        shape=encoding.analyze(req.body),
        expires_at=clock.now() + timedelta(seconds=req.validity_seconds or validity_seconds),
    )


# Projects never change account or sub-account, so their owners are cached for the process.
_project_owner: dict[str, tuple[str, str]] = {}


async def _projects(session: AsyncSession, drafts: list[Draft]) -> dict[str, tuple[str, str]]:
    """project id -> (account id, sub-account id) for the projects these sends name."""
    wanted = {d.req.project_id or d.who.project_id for d in drafts} - {None}
    missing = [p for p in wanted if p not in _project_owner]
    if missing:
        rows = await raw.fetch(
            session,
            f"SELECT id, account_id, sub_account_id FROM projects WHERE id IN "
            f"({raw.marks(len(missing))})",
            tuple(missing),
        )
        for pid, account_id, sub_account_id in rows:
            _project_owner[pid] = (account_id, sub_account_id)
    return {p: _project_owner[p] for p in wanted if p in _project_owner}


async def _opted_out(
    session: AsyncSession, keys: set[tuple[str, str, str]]
) -> set[tuple[str, str, str]]:
    if not keys:
        return set()
    by_account: dict[str, set[str]] = {}
    for account_id, _, number in keys:
        by_account.setdefault(account_id, set()).add(number)
    found: set[tuple[str, str, str]] = set()
    for account_id, numbers in by_account.items():
        rows = await raw.fetch(
            session,
            f"SELECT account_id, scope, number FROM sms_opt_outs WHERE account_id = ? "
            f"AND number IN ({raw.marks(len(numbers))})",
            (account_id, *numbers),
        )
        found.update((a, s, n) for a, s, n in rows)
    return found & keys


@dataclass
class _Planned:
    draft: Draft
    sender: senders.Sender
    project_id: str | None
    sub_account_id: str | None
    scope: str


async def accept(session: AsyncSession, drafts: list[Draft], *, sandbox_sender: str) -> list[Any]:
    """Accept prepared sends in the caller's transaction. Returns, per draft, the accepted
    message (attribute access like a Message row) or the DomainError that refused it."""
    results: list[Any] = [None] * len(drafts)
    projects = await _projects(session, drafts)
    planned: list[tuple[int, _Planned]] = []
    lookups = senders.Lookups()
    for i, d in enumerate(drafts):
        try:
            planned.append((i, await _plan(session, d, projects, sandbox_sender, lookups)))
        except DomainError as err:
            results[i] = err
    blocked = await _opted_out(
        session, {(p.draft.who.account, p.scope, p.draft.to.e164) for _, p in planned}
    )
    live = {p.draft.who.account for _, p in planned if not p.draft.who.is_test}
    if len(live) > 1:
        await charges.lock(session, live)  # reserves below take them in this order
    for i, p in planned:
        try:
            if (p.draft.who.account, p.scope, p.draft.to.e164) in blocked:
                raise RecipientOptedOut()
            results[i] = await _write(session, p)
        except DomainError as err:
            results[i] = err
    return results


async def _plan(
    session: AsyncSession,
    d: Draft,
    projects: dict[str, tuple[str, str]],
    sandbox_sender: str,
    lookups: senders.Lookups,
) -> _Planned:
    who = d.who
    project_id = d.req.project_id or who.project_id
    owner = projects.get(project_id) if project_id else None
    if d.req.check_project and (owner is None or not who.sees(owner[0], owner[1], project_id)):
        raise NotFound("Project not found.")
    sender = await senders.resolve(session, who, d.req.sender, project_id, sandbox_sender, lookups)
    if phone.same_number(sender.address, d.to.e164):
        raise SameNumber()
    project_id = project_id or sender.project_id
    sub_account_id = owner[1] if owner is not None else who.sub_account_id
    scope = senders.opt_out_scope(sender.project_id or project_id, sender.address)
    return _Planned(d, sender, project_id, sub_account_id, scope)


async def _write(session: AsyncSession, p: _Planned) -> Any:
    d, who = p.draft, p.draft.who
    amount, currency = await pricing.price(session, who.account, d.to.country, d.shape.segments)
    now = clock.now()
    row: dict[str, Any] = {
        "id": ids.new_id("sms"),
        "account_id": who.account,
        "sub_account_id": p.sub_account_id,
        "project_id": p.project_id,
        "key_id": who.key_id,
        "test": who.is_test,
        "surface": d.req.surface,
        "kind": d.req.kind,
        "to": d.to.e164,
        "sender": p.sender.address,
        "body": d.req.body,
        "encoding": d.shape.encoding,
        "segments": d.shape.segments,
        "country": d.to.country,
        "network": d.to.carrier,
        "mccmnc": None,
        "status": "accepted",
        "error_code": None,
        "error_message": None,
        "price": amount,
        "currency": currency,
        "carrier": None,
        "carrier_message_id": None,
        "receipts": True,
        "callback_url": d.req.callback_url,
        "payload": d.req.payload,
        "goal": None,
        "goal_at": None,
        "clean_attempt": 0,
        "expires_at": d.expires_at,
        "created_at": now,
        "updated_at": now,
        "handed_off_at": None,
        "delivered_at": None,
        "errored_at": None,
    }
    if not who.is_test:
        await charges.reserve(session, who.account, row["id"], amount, currency)
    insert_later(session, Message, row)
    await enqueue(session, SUBMIT_JOB, {"message_id": row["id"]})
    message = SimpleNamespace(**row)
    if d.hook is not None:
        await d.hook(session, message)
    return message


async def send(
    session: AsyncSession,
    who: Principal,
    req: SendRequest,
    *,
    sandbox_sender: str,
    validity_seconds: int,
) -> Any:
    """One send inside the caller's transaction (OTP, tests). Raises when refused."""
    draft = prepare(who, req, validity_seconds=validity_seconds)
    (result,) = await accept(session, [draft], sandbox_sender=sandbox_sender)
    if isinstance(result, DomainError):
        raise result
    return result


async def get_message(session: AsyncSession, who: Principal, message_id: str) -> Message:
    message = await session.get(Message, message_id)
    if message is None or not who.sees(
        message.account_id, message.sub_account_id, message.project_id
    ):
        raise NotFound("Message not found.")
    return message
