"""Project SMS activation (spec 000): a number for the project, and its env.

``activate`` provisions the project's number through the inventory (charged like any purchase)
and injects ``CANTILA_SMS_NUMBER`` and ``CANTILA_SMS_API_KEY`` (a new deploy key scoped to the
project: only its hash is in ``api_keys``, the value is in the project's env, encrypted) into
the project's environment. ``deactivate`` releases the number, revokes the key and strips both.
Both are idempotent and take the project's row lock, so two concurrent activations of one
project buy one number.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.accounts import service as accounts
from relaybox.accounts.models import ApiKey, Project
from relaybox.accounts.principal import Principal
from relaybox.crypto import SecretBox
from relaybox.numbers import service as numbers
from relaybox.numbers.models import ACTIVE, PhoneNumber, ProjectSms
from relaybox.projects import env

SMS_NUMBER = "CANTILA_SMS_NUMBER"
SMS_API_KEY = "CANTILA_SMS_API_KEY"
INJECTED = (SMS_NUMBER, SMS_API_KEY)
SOURCE = "sms"
KEY_SCOPE = "deploy"


@dataclass(frozen=True)
class Activation:
    project_id: str
    number: PhoneNumber
    key: ApiKey
    provisioned: bool  # a number was bought by this call


async def _locked_project(session: AsyncSession, who: Principal, project_id: str) -> Project:
    project = await accounts.get_project(session, who, project_id)
    await session.execute(
        select(Project.id).where(Project.id == project.id).with_for_update()
    )  # one activation of a project at a time (SQLite: one writer)
    return project


async def activate(
    session: AsyncSession,
    box: SecretBox,
    who: Principal,
    project_id: str,
    *,
    country: str,
    number_type: str = "local",
    capabilities: list[str] | None = None,
    e164: str | None = None,
) -> Activation:
    project = await _locked_project(session, who, project_id)  # 404 first: never reveal it
    numbers.ensure_live(who, "activate SMS (it buys a number)")
    now = clock.now()
    state = await session.get(ProjectSms, project.id)
    number = None
    if state is not None and state.number_id is not None:
        number = await session.get(PhoneNumber, state.number_id)
        if number is not None and (number.status != ACTIVE or number.project_id != project.id):
            number = None
    provisioned = False
    if number is None:
        wanted = sorted({*(capabilities or []), "sms"})  # SMS activation needs an SMS number
        existing = await numbers.project_sms_number(session, project.id)
        number = existing or await numbers.provision_for_project(
            session,
            who,
            project,
            country=country,
            number_type=number_type,
            capabilities=wanted,
            e164=e164,
        )
        provisioned = existing is None
    key = await session.get(ApiKey, state.key_id) if state and state.key_id else None
    if key is not None and (
        key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now)
    ):
        key = None
    if key is None:
        key, token = await accounts.create_key(
            session,
            account_id=project.account_id,
            scope=KEY_SCOPE,
            mode="live",
            name=SMS_API_KEY,
            project_id=project.id,
        )
        await env.set_value(
            session, box, project.id, SMS_API_KEY, token, source=SOURCE, secret_scope=KEY_SCOPE
        )
    await env.set_value(session, box, project.id, SMS_NUMBER, number.e164, source=SOURCE)
    if state is None:
        state = ProjectSms(project_id=project.id, account_id=project.account_id, activated_at=now)
        session.add(state)
    state.number_id, state.key_id, state.updated_at = number.id, key.id, now
    await session.flush()
    return Activation(project.id, number, key, provisioned)


async def deactivate(
    session: AsyncSession, who: Principal, project_id: str
) -> tuple[str, PhoneNumber | None]:
    """Release the project's SMS number, revoke its key, strip the env. Returns the project id
    and the number released now (None when there was nothing to release)."""
    project = await _locked_project(session, who, project_id)
    numbers.ensure_live(who, "deactivate SMS")
    state = await session.get(ProjectSms, project.id)
    released = None
    if state is not None:
        if state.number_id is not None:
            number = await session.get(PhoneNumber, state.number_id)
            if number is not None and number.status == ACTIVE and number.project_id == project.id:
                await numbers.release_number(session, number)
                released = number
        if state.key_id is not None:
            key = await session.get(ApiKey, state.key_id)
            if key is not None:
                await accounts.revoke_key(session, key)
        await session.delete(state)
    await env.strip(session, project.id, INJECTED)
    await session.flush()
    return project.id, released


async def number_left(session: AsyncSession, number: PhoneNumber) -> None:
    """``number`` was released or moved out of its project: the project no longer sends from it
    (its env loses CANTILA_SMS_NUMBER; activating again provisions a new one)."""
    states = (
        (await session.execute(select(ProjectSms).where(ProjectSms.number_id == number.id)))
        .scalars()
        .all()
    )
    for state in states:
        state.number_id, state.updated_at = None, clock.now()
        await env.strip(session, state.project_id, [SMS_NUMBER])
    await session.flush()
