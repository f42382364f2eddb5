"""Wire shapes of the native API (spec 000 style: snake_case, ISO-8601 UTC times)."""

from __future__ import annotations

import ipaddress
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from relaybox.accounts.models import Account, ApiKey, Project, SubAccount
from relaybox.storage.pagination import Page

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ListOf(BaseModel, Generic[T]):
    data: list[T]
    next_page_token: str | None = None


def page(items: Page[Any], convert: Any) -> dict[str, Any]:
    return {"data": [convert(i) for i in items.items], "next_page_token": items.next_cursor}


class AccountOut(BaseModel):
    id: str
    name: str
    status: str
    geo_permissions: list[str] | None
    created_at: datetime


def account_out(a: Account) -> AccountOut:
    return AccountOut(
        id=a.id,
        name=a.name,
        status=a.status,
        geo_permissions=a.geo_permissions,
        created_at=a.created_at,
    )


class SubAccountOut(BaseModel):
    id: str
    account_id: str
    name: str
    created_at: datetime


def sub_account_out(s: SubAccount) -> SubAccountOut:
    return SubAccountOut(id=s.id, account_id=s.account_id, name=s.name, created_at=s.created_at)


class ProjectOut(BaseModel):
    id: str
    account_id: str
    sub_account_id: str
    name: str
    created_at: datetime


def project_out(p: Project) -> ProjectOut:
    return ProjectOut(
        id=p.id,
        account_id=p.account_id,
        sub_account_id=p.sub_account_id,
        name=p.name,
        created_at=p.created_at,
    )


class KeyOut(BaseModel):
    id: str
    name: str
    mode: str
    scope: str
    status: Literal["active", "expired", "revoked"]
    hint: str
    account_id: str | None
    sub_account_id: str | None
    project_id: str | None
    allowed_cidrs: list[str] | None
    rate_limit_per_minute: int | None
    expires_at: datetime | None
    revoked_at: datetime | None
    replaced_by_id: str | None
    created_at: datetime


class NewKeyOut(KeyOut):
    secret: str = Field(description="Shown once. Use as Bearer / AccessKey token.")
    basic: str = Field(description="The HTTP Basic form, <key id>:<secret>.")


def key_status(k: ApiKey, now: datetime) -> Literal["active", "expired", "revoked"]:
    if k.revoked_at is not None:
        return "revoked"
    if k.expires_at is not None and k.expires_at <= now:
        return "expired"
    return "active"


def key_out(k: ApiKey, now: datetime) -> KeyOut:
    return KeyOut(
        id=k.id,
        name=k.name,
        mode=k.mode,
        scope=k.scope,
        status=key_status(k, now),
        hint=k.hint,
        account_id=k.account_id,
        sub_account_id=k.sub_account_id,
        project_id=k.project_id,
        allowed_cidrs=k.allowed_cidrs,
        rate_limit_per_minute=k.rate_limit_per_minute,
        expires_at=k.expires_at,
        revoked_at=k.revoked_at,
        replaced_by_id=k.replaced_by_id,
        created_at=k.created_at,
    )


def new_key_out(k: ApiKey, token: str, now: datetime) -> NewKeyOut:
    return NewKeyOut(**key_out(k, now).model_dump(), secret=token, basic=f"{k.id}:{token}")


class NameIn(Strict):
    name: str = Field(min_length=1, max_length=200)


class AccountIn(NameIn):
    geo_permissions: list[str] | None = Field(
        default=None, description="ISO country codes this account may message; null = all"
    )

    @field_validator("geo_permissions")
    @classmethod
    def _iso(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        out = []
        for code in value:
            if len(code) != 2 or not code.isalpha():
                raise ValueError(f"{code!r} is not an ISO-3166 alpha-2 code")
            out.append(code.upper())
        return out


class ProjectIn(NameIn):
    sub_account_id: str = Field(max_length=40)


class KeyIn(Strict):
    name: str = Field(default="", max_length=200)
    scope: Literal["read", "deploy", "admin"]
    mode: Literal["live", "test"]
    sub_account_id: str | None = Field(default=None, max_length=40)
    project_id: str | None = Field(default=None, max_length=40)
    allowed_cidrs: list[str] | None = Field(default=None, max_length=50)
    expires_in_seconds: int | None = Field(default=None, ge=60, le=10 * 365 * 86400)
    rate_limit_per_minute: int | None = Field(default=None, ge=1, le=1_000_000)

    @field_validator("allowed_cidrs")
    @classmethod
    def _cidrs(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        return [str(ipaddress.ip_network(c, strict=False)) for c in value]


class RotateIn(Strict):
    grace_seconds: int = Field(default=86400, ge=0, le=30 * 86400)


class ActivityOut(BaseModel):
    id: str
    key_id: str
    action: str
    method: str
    path: str
    resource_id: str | None
    status_code: int
    request_id: str
    ip: str | None
    created_at: datetime


class RotateOut(BaseModel):
    new_key: NewKeyOut
    old_key: KeyOut
