"""Who a message is sent from, and opt-out scopes.

Live traffic sends only from numbers the account owns (and, for a project, that project's
numbers). Sandbox traffic (test keys) may use any possible number or sender id: the simulator
treats every number as a virtual handset, as spec 000's examples assume.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.accounts.principal import Principal
from relaybox.domain import phone
from relaybox.messaging.errors import NoSender, SenderNotOwned
from relaybox.numbers import service as numbers
from relaybox.numbers.models import PhoneNumber


@dataclass(frozen=True)
class Sender:
    address: str
    project_id: str | None  # the project the sending number belongs to, if any
    owned: bool


@dataclass
class Lookups:
    """Sender lookups memoized within one transaction (a batch of accepts)."""

    numbers: dict[str, PhoneNumber | None] = field(default_factory=dict)
    defaults: dict[tuple[str, str | None], Sender | None] = field(default_factory=dict)


async def resolve(
    session: AsyncSession,
    who: Principal,
    requested: str | None,
    project_id: str | None,
    sandbox_sender: str,
    lookups: Lookups | None = None,
) -> Sender:
    seen = lookups or Lookups()
    if requested:
        kind = phone.sender_kind(requested)
        owned = None
        if kind != "alphanumeric":
            if requested not in seen.numbers:
                seen.numbers[requested] = await numbers.find_by_e164(session, requested)
            owned = seen.numbers[requested]
            if owned is not None and owned.account_id != who.account:
                owned = None
        if owned is not None:
            if project_id and owned.project_id not in (None, project_id):
                raise SenderNotOwned()
            return Sender(requested, owned.project_id or project_id, True)
        if who.is_test:
            return Sender(requested, project_id, False)
        if kind == "alphanumeric":
            return Sender(requested, project_id, False)
        raise SenderNotOwned()
    key = (who.account, project_id)
    if key not in seen.defaults:
        chosen = await numbers.default_sender(session, who.account, project_id)
        seen.defaults[key] = (
            Sender(chosen.e164, chosen.project_id or project_id, True) if chosen else None
        )
    if (found := seen.defaults[key]) is not None:
        return found
    if who.is_test:
        return Sender(sandbox_sender, project_id, False)
    raise NoSender()


def opt_out_scope(project_id: str | None, sender: str) -> str:
    """Opt-outs bind a recipient to a project, or to a sender number outside any project."""
    return f"project:{project_id}" if project_id else f"sender:{sender}"
