"""Who is calling: the key's identity, scope and tenancy restrictions."""

from __future__ import annotations

from dataclasses import dataclass

from relaybox.accounts.keys import scope_allows
from relaybox.errors import Forbidden, NotFound


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    account_id: str | None
    sub_account_id: str | None
    project_id: str | None
    scope: str
    mode: str
    rate_limit_per_minute: int | None = None
    # ISO countries the account may message (None: all), loaded with the key
    geo_permissions: tuple[str, ...] | None = None

    @property
    def is_test(self) -> bool:
        """Test keys are the sandbox: traffic goes to the simulator and is never billed."""
        return self.mode == "test"

    @property
    def is_operator(self) -> bool:
        return self.scope == "operator"

    def allows(self, scope: str) -> bool:
        return scope_allows(self.scope, scope)

    @property
    def account(self) -> str:
        """The account this key acts in; operator keys act in none."""
        if self.account_id is None:
            raise Forbidden("Operator keys manage accounts; use an account key for this.")
        return self.account_id

    def sees(
        self, account_id: str, sub_account_id: str | None = None, project_id: str | None = None
    ) -> bool:
        if account_id != self.account_id:
            return False
        if self.sub_account_id and sub_account_id != self.sub_account_id:
            return False
        return not (self.project_id and project_id != self.project_id)

    def check(
        self,
        account_id: str,
        sub_account_id: str | None = None,
        project_id: str | None = None,
        what: str = "Resource",
    ) -> None:
        """404 unless this key may see the resource (never reveal another tenant's)."""
        if not self.sees(account_id, sub_account_id, project_id):
            raise NotFound(f"{what} not found.")
