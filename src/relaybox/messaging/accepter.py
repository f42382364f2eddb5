"""The Accepter: concurrent send requests accepted together, in one transaction per batch.

Each request does its database-free checks itself (service.prepare); the batch then costs one
query for projects, one for opt-outs, and one insert per table. A refused send gets its own
DomainError; the others are unaffected.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.batching import Coalescer
from relaybox.messaging.service import Draft, SendRequest, accept, prepare
from relaybox.storage.database import same_transaction
from relaybox.webhooks import targets

if TYPE_CHECKING:
    from relaybox.accounts.principal import Principal
    from relaybox.runtime import Runtime


class Accepter:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._batches: Coalescer[Draft, Any] = Coalescer("sms-accepter", self._accept)

    async def send(self, who: Principal, req: SendRequest) -> Any:
        """Accept one send (batched with concurrent ones). Raises the refusal, if any."""
        settings = self.runtime.settings
        if req.callback_url:
            targets.validate(req.callback_url, settings, "callback_url")
        draft = prepare(who, req, validity_seconds=settings.sms_validity_seconds)
        draft.hook = same_transaction.get()
        if draft.hook is not None:
            same_transaction.set(None)
        return await self._batches.submit(draft)  # raises this send's refusal, if any

    async def _accept(self, drafts: list[Draft]) -> list[Any]:
        sandbox = self.runtime.settings.sandbox_sender

        async def work(session: AsyncSession) -> list[Any]:
            return await accept(session, drafts, sandbox_sender=sandbox)

        results: list[Any] = await self.runtime.db.write(work)
        return results

    async def stop(self) -> None:
        await self._batches.stop()
