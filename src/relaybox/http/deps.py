"""FastAPI dependencies shared by every surface."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Query, Request

from relaybox.accounts.principal import Principal
from relaybox.http.surface import account_principal, current_principal

if TYPE_CHECKING:
    from relaybox.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated["Runtime", Depends(get_runtime)]
CallerDep = Annotated[Principal, Depends(current_principal)]
AccountCallerDep = Annotated[Principal, Depends(account_principal)]
LimitQuery = Annotated[int, Query(ge=1, le=100, description="Page size (1-100).")]
PageTokenQuery = Annotated[
    str | None, Query(max_length=400, description="Cursor from next_page_token.")
]
