"""The demo account `relaybox serve` creates on first start, and its credentials file."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.accounts import service
from relaybox.accounts.models import Account
from relaybox.billing import service as wallet
from relaybox.domain.money import Money
from relaybox.storage.database import Database

DEMO_NAME = "Demo"


@dataclass
class DemoCredentials:
    account_id: str
    sub_account_id: str
    project_id: str
    test_key_id: str
    test_key: str
    live_key: str

    def exports(self) -> str:
        return "\n".join(
            [
                f"export RELAYBOX_DEMO_ACCOUNT={self.account_id}",
                f"export RELAYBOX_DEMO_SUBACCOUNT={self.sub_account_id}",
                f"export RELAYBOX_DEMO_PROJECT={self.project_id}",
                f"export RELAYBOX_TEST_KEY={self.test_key}",
                f"export RELAYBOX_LIVE_KEY={self.live_key}",
                f"export RELAYBOX_TEST_BASIC={self.test_key_id}:{self.test_key}",
            ]
        )


async def ensure_demo(
    db: Database, data_dir: Path, credit: str = "100.00"
) -> DemoCredentials | None:
    """Create the demo tenant once, its wallet credited with ``credit`` USD (a top-up ledger
    row). Returns its credentials only when it was just created."""
    amount = Money.parse(credit, "USD").amount

    async def work(session: AsyncSession) -> DemoCredentials | None:
        existing = (
            await session.execute(select(Account.id).where(Account.name == DEMO_NAME).limit(1))
        ).scalar_one_or_none()
        if existing is not None:
            return None
        account = await service.create_account(session, DEMO_NAME)
        sub = await service.create_sub_account(session, account.id, "Default")
        project = await service.create_project(session, account.id, sub.id, "demo")
        test_key, test_token = await service.create_key(
            session, account_id=account.id, scope="admin", mode="test", name="demo test key"
        )
        _, live_token = await service.create_key(
            session, account_id=account.id, scope="admin", mode="live", name="demo live key"
        )
        if amount > 0:
            await wallet.top_up(session, account.id, amount, "USD", description="Demo credit")
        return DemoCredentials(account.id, sub.id, project.id, test_key.id, test_token, live_token)

    creds = await db.write(work)
    if creds is not None:
        write_credentials_file(data_dir / "demo.env", creds.exports() + "\n")
    return creds


def write_credentials_file(path: Path, content: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)
    os.chmod(path, 0o600)
