"""Use cases for tenancy and keys. Functions take a session, flush, never commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.accounts import keys
from relaybox.accounts.models import ACTIVE, SUSPENDED, Account, ApiKey, Project, SubAccount
from relaybox.accounts.principal import Principal
from relaybox.errors import Forbidden, NotFound, ValidationFailed
from relaybox.storage.pagination import Page, paginate


async def create_account(
    session: AsyncSession, name: str, geo_permissions: list[str] | None = None
) -> Account:
    account = Account(
        id=ids.new_id("acct"),
        name=name,
        status=ACTIVE,
        geo_permissions=geo_permissions,
        created_at=clock.now(),
    )
    session.add(account)
    await session.flush()
    return account


async def get_account(session: AsyncSession, account_id: str) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise NotFound("Account not found.")
    return account


async def list_accounts(session: AsyncSession, limit: int, after: str | None) -> Page[Account]:
    return await paginate(session, select(Account), Account.id, limit, after)


async def set_account_status(session: AsyncSession, account_id: str, status: str) -> Account:
    account = await get_account(session, account_id)
    account.status = status
    account.suspended_at = clock.now() if status == SUSPENDED else None
    await session.flush()
    return account


async def create_sub_account(session: AsyncSession, account_id: str, name: str) -> SubAccount:
    await get_account(session, account_id)
    sub = SubAccount(id=ids.new_id("sub"), account_id=account_id, name=name, created_at=clock.now())
    session.add(sub)
    await session.flush()
    return sub


async def get_sub_account(session: AsyncSession, who: Principal, sub_account_id: str) -> SubAccount:
    sub = await session.get(SubAccount, sub_account_id)
    if sub is None or not who.sees(sub.account_id, sub.id):
        raise NotFound("Sub-account not found.")
    return sub


async def list_sub_accounts(
    session: AsyncSession, who: Principal, limit: int, after: str | None
) -> Page[SubAccount]:
    stmt = select(SubAccount).where(SubAccount.account_id == who.account)
    if who.sub_account_id:
        stmt = stmt.where(SubAccount.id == who.sub_account_id)
    return await paginate(session, stmt, SubAccount.id, limit, after)


async def create_project(
    session: AsyncSession, account_id: str, sub_account_id: str, name: str
) -> Project:
    sub = await session.get(SubAccount, sub_account_id)
    if sub is None or sub.account_id != account_id:
        raise NotFound("Sub-account not found.")
    project = Project(
        id=ids.new_id("prj"),
        account_id=account_id,
        sub_account_id=sub_account_id,
        name=name,
        created_at=clock.now(),
    )
    session.add(project)
    await session.flush()
    return project


async def get_project(session: AsyncSession, who: Principal, project_id: str) -> Project:
    project = await session.get(Project, project_id)
    if project is None or not who.sees(project.account_id, project.sub_account_id, project.id):
        raise NotFound("Project not found.")
    return project


async def list_projects(
    session: AsyncSession, who: Principal, limit: int, after: str | None
) -> Page[Project]:
    stmt = select(Project).where(Project.account_id == who.account)
    if who.sub_account_id:
        stmt = stmt.where(Project.sub_account_id == who.sub_account_id)
    if who.project_id:
        stmt = stmt.where(Project.id == who.project_id)
    return await paginate(session, stmt, Project.id, limit, after)


# -- keys ---------------------------------------------------------------------------------------


async def create_key(
    session: AsyncSession,
    *,
    account_id: str | None,
    scope: str,
    mode: str,
    name: str = "",
    sub_account_id: str | None = None,
    project_id: str | None = None,
    allowed_cidrs: list[str] | None = None,
    expires_at: datetime | None = None,
    rate_limit_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with its secret, which is never available again."""
    if scope not in keys.SCOPES:
        raise ValidationFailed.field("scope", f"scope must be one of {', '.join(keys.SCOPES)}")
    if mode not in keys.MODES:
        raise ValidationFailed.field("mode", "mode must be live or test")
    if (scope == "operator") != (account_id is None):
        raise ValidationFailed.field("scope", "operator keys have no account; others need one")
    if project_id is not None:
        project = await session.get(Project, project_id)
        if project is None or project.account_id != account_id:
            raise NotFound("Project not found.")
        if sub_account_id not in (None, project.sub_account_id):
            raise ValidationFailed.field("project_id", "project is not in that sub-account")
        sub_account_id = project.sub_account_id
    elif sub_account_id is not None:
        sub = await session.get(SubAccount, sub_account_id)
        if sub is None or sub.account_id != account_id:
            raise NotFound("Sub-account not found.")
    token = keys.generate_token(mode)
    key = ApiKey(
        id=ids.new_id("key"),
        account_id=account_id,
        sub_account_id=sub_account_id,
        project_id=project_id,
        name=name,
        mode=mode,
        scope=scope,
        secret_hash=keys.hash_token(token),
        hint=keys.hint(token),
        allowed_cidrs=allowed_cidrs or None,
        rate_limit_per_minute=rate_limit_per_minute,
        expires_at=expires_at,
        created_at=clock.now(),
    )
    session.add(key)
    await session.flush()
    return key, token


def ensure_may_grant(
    who: Principal, scope: str, sub_account_id: str | None, project_id: str | None
) -> None:
    """A key can only create keys no stronger and no wider than itself."""
    if scope not in keys.SCOPES or not who.allows(scope):
        raise Forbidden("A key cannot grant a scope above its own.")
    if who.sub_account_id and sub_account_id not in (who.sub_account_id, None):
        raise Forbidden("This key is restricted to another sub-account.")
    if who.project_id and project_id not in (who.project_id, None):
        raise Forbidden("This key is restricted to another project.")


async def get_key(session: AsyncSession, who: Principal, key_id: str) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if (
        key is None
        or key.account_id is None
        or not who.sees(key.account_id, key.sub_account_id, key.project_id)
    ):
        raise NotFound("Key not found.")
    if who.sub_account_id and key.sub_account_id is None:
        raise NotFound("Key not found.")
    return key


async def list_keys(
    session: AsyncSession, who: Principal, limit: int, after: str | None
) -> Page[ApiKey]:
    stmt = select(ApiKey).where(ApiKey.account_id == who.account)
    if who.sub_account_id:
        stmt = stmt.where(ApiKey.sub_account_id == who.sub_account_id)
    if who.project_id:
        stmt = stmt.where(ApiKey.project_id == who.project_id)
    return await paginate(session, stmt, ApiKey.id, limit, after)


async def revoke_key(session: AsyncSession, key: ApiKey) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = clock.now()
    await session.flush()
    return key


async def rotate_key(session: AsyncSession, key: ApiKey, grace_seconds: int) -> tuple[ApiKey, str]:
    """A new key with the same powers; the old one keeps working for ``grace_seconds``."""
    if key.revoked_at is not None:
        raise ValidationFailed("A revoked key cannot be rotated.", code="key_revoked")
    new_key, token = await create_key(
        session,
        account_id=key.account_id,
        scope=key.scope,
        mode=key.mode,
        name=key.name,
        sub_account_id=key.sub_account_id,
        project_id=key.project_id,
        allowed_cidrs=key.allowed_cidrs,
        expires_at=key.expires_at,
        rate_limit_per_minute=key.rate_limit_per_minute,
    )
    cutoff = clock.now() + timedelta(seconds=grace_seconds)
    if grace_seconds <= 0:
        key.revoked_at = clock.now()
    elif key.expires_at is None or key.expires_at > cutoff:
        key.expires_at = cutoff
    key.replaced_by_id = new_key.id
    await session.flush()
    return new_key, token


async def find_key(session: AsyncSession, token: str) -> tuple[ApiKey, Account | None] | None:
    key = (
        await session.execute(select(ApiKey).where(ApiKey.secret_hash == keys.hash_token(token)))
    ).scalar_one_or_none()
    if key is None:
        return None
    account = await session.get(Account, key.account_id) if key.account_id else None
    return key, account
