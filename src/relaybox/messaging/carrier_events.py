"""The CarrierEvents sink: what adapters report, stored and applied in one transaction each."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.carriers.base import InboundSms, Receipt
from relaybox.messaging import inbound, lifecycle
from relaybox.storage.database import Database


class MessagingEvents:
    def __init__(
        self, db: Database, sandbox_carriers: frozenset[str] = frozenset({"simulator"})
    ) -> None:
        self.db = db
        self.sandbox_carriers = sandbox_carriers

    async def receipt(self, receipt: Receipt) -> None:
        await self.receipts([receipt])

    async def receipts(self, receipts: list[Receipt]) -> None:
        """Several receipts in one transaction."""

        async def work(session: AsyncSession) -> None:
            await lifecycle.record_receipts(session, receipts)

        await self.db.write(work)

    async def apply_receipts(self, session: AsyncSession, receipts: list[Receipt]) -> None:
        """Receipts applied inside the caller's transaction (an in-process carrier's timer)."""
        await lifecycle.record_receipts(session, receipts)

    async def inbound(self, message: InboundSms) -> None:
        test = message.carrier in self.sandbox_carriers

        async def work(session: AsyncSession) -> None:
            await inbound.receive(session, message, test=test)

        await self.db.write(work)
