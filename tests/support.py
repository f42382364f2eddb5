"""Test helpers: tenants with keys of every scope and mode."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.accounts import service
from relaybox.storage.database import Database


@dataclass
class Tenant:
    account_id: str
    sub_account_id: str
    project_id: str
    keys: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)

    def token(self, scope: str = "admin", mode: str = "test") -> str:
        return self.keys[(scope, mode)][1]

    def key_id(self, scope: str = "admin", mode: str = "test") -> str:
        return self.keys[(scope, mode)][0]

    def headers(self, scope: str = "admin", mode: str = "test") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(scope, mode)}"}

    def basic(self, scope: str = "admin", mode: str = "test") -> dict[str, str]:
        raw = f"{self.key_id(scope, mode)}:{self.token(scope, mode)}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def access_key(self, scope: str = "admin", mode: str = "test") -> dict[str, str]:
        return {"Authorization": f"AccessKey {self.token(scope, mode)}"}


async def make_tenant(db: Database, name: str) -> Tenant:
    async def work(s: AsyncSession) -> Tenant:
        account = await service.create_account(s, name)
        sub = await service.create_sub_account(s, account.id, "Default")
        project = await service.create_project(s, account.id, sub.id, "app")
        tenant = Tenant(account.id, sub.id, project.id)
        for scope in ("read", "deploy", "admin"):
            for mode in ("test", "live"):
                key, token = await service.create_key(
                    s, account_id=account.id, scope=scope, mode=mode, name=f"{scope}-{mode}"
                )
                tenant.keys[(scope, mode)] = (key.id, token)
        return tenant

    return await db.write(work)


async def operator_token(db: Database) -> str:
    async def work(s: AsyncSession) -> str:
        _, token = await service.create_key(s, account_id=None, scope="operator", mode="live")
        return token

    return await db.write(work)
