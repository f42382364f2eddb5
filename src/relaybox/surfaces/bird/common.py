"""What Bird routes share: workspace and organization lookups, times, pagination params."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import ids
from relaybox.accounts import service as accounts
from relaybox.accounts.models import SubAccount
from relaybox.accounts.principal import Principal
from relaybox.errors import NotFound

BirdLimit = Annotated[
    int, Query(ge=1, le=99, description="Results per page (1-99); see nextPageToken.")
]
BirdPageToken = Annotated[
    str | None, Query(max_length=8000, description="A previous page's nextPageToken.")
]


def bird_time(at: datetime | None) -> str | None:
    if at is None:
        return None
    at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


async def workspace(s: AsyncSession, who: Principal, workspace_id: str) -> SubAccount:
    """A workspace (our sub-account) the caller may see, by UUID or prefixed id; else 404."""
    sub_account_id = ids.parse_id("sub", workspace_id)
    if sub_account_id is None:
        raise NotFound("Workspace not found.")
    try:
        return await accounts.get_sub_account(s, who, sub_account_id)
    except NotFound:
        raise NotFound("Workspace not found.") from None


def organization(who: Principal, organization_id: str) -> str:
    """The caller's own organization (our account) id, or 404."""
    account_id = ids.parse_id("acct", organization_id)
    if account_id is None or account_id != who.account:
        raise NotFound("Organization not found.")
    return account_id
