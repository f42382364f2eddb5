"""The submit journal (table ``smpp_submits``): what a crash must not forget.

Before a message's first part is written to a socket its ``sending`` row is committed; when the
SMSC answers, the row becomes ``sent`` with the SMSC's ids; a submit that certainly did not reach
the SMSC (no bind, throttled, refused) drops its row. After a crash ``recover`` reads it:

- no row: the message never left this system — safe to submit;
- ``sent``: the SMSC has it — use the recorded ids (its receipts will match), do not resubmit;
- ``sending``: it may have reached the SMSC — the outcome is unknown, never resubmitted.

Concurrent submits share transactions (a Coalescer), so a batch of 200 costs one commit before
and one after, not 400.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.batching import Coalescer
from relaybox.carriers.base import SubmitResult
from relaybox.storage import raw

if TYPE_CHECKING:
    from relaybox.storage.database import Database

SENDING, SENT = "sending", "sent"
KEEP = timedelta(days=7)  # longer than any message's validity: older rows can't be asked about

Entry = tuple[str, str, SubmitResult | None]  # message id, sending | sent | clean, result

_UPSERT = (
    "INSERT INTO smpp_submits (message_id, state, result, updated_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (message_id) DO UPDATE SET state = excluded.state, result = excluded.result, "
    "updated_at = excluded.updated_at"
)
_DELETE = "DELETE FROM smpp_submits WHERE message_id = ?"


def _dump(result: SubmitResult) -> str:
    return orjson.dumps(
        {
            "carrier_message_id": result.carrier_message_id,
            "part_ids": list(result.part_ids),
            "receipts": result.receipts,
            "raw": result.raw,
        }
    ).decode()


def _load(text: str) -> SubmitResult:
    data = orjson.loads(text)
    return SubmitResult(
        carrier_message_id=data["carrier_message_id"],
        part_ids=tuple(data["part_ids"]),
        receipts=data["receipts"],
        raw=data["raw"],
    )


class Journal:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._writes: Coalescer[Entry, None] = Coalescer("smpp-journal", self._write)

    async def sending(self, message_id: str) -> None:
        """Returns once the intent is committed: only then may the submit be written."""
        await self._writes.submit((message_id, SENDING, None))

    async def sent(self, message_id: str, result: SubmitResult) -> None:
        await self._writes.submit((message_id, SENT, result))

    async def clean(self, message_id: str) -> None:
        """The submit certainly did not reach the SMSC: a later attempt may submit again."""
        await self._writes.submit((message_id, "clean", None))

    async def _write(self, entries: list[Entry]) -> list[Exception | None]:
        now = clock.now()
        last = {message_id: (state, result) for message_id, state, result in entries}
        upserts = [
            (mid, state, _dump(result) if result else None, now)
            for mid, (state, result) in last.items()
            if state != "clean"
        ]
        cleaned = [(mid,) for mid, (state, _) in last.items() if state == "clean"]

        async def work(session: AsyncSession) -> None:
            await raw.execute_many(session, _UPSERT, upserts)
            await raw.execute_many(
                session, "DELETE FROM smpp_submits WHERE message_id = ?", cleaned
            )

        await self.db.write(work)
        return [None] * len(entries)

    async def lookup(self, message_id: str) -> SubmitResult | str | None:
        """The recorded result, ``"sending"`` when the outcome is unknown, None when no submit
        of this message was ever started."""
        async with self.db.read() as session:
            rows = await raw.fetch(
                session,
                "SELECT state, result FROM smpp_submits WHERE message_id = ?",
                (message_id,),
            )
        if not rows:
            return None
        state, result = rows[0]
        return _load(result) if state == SENT and result else SENDING

    async def purge(self) -> None:
        """Forget rows no retry can ask about any more."""

        async def work(session: AsyncSession) -> None:
            await raw.execute(
                session, "DELETE FROM smpp_submits WHERE updated_at < ?", (clock.now() - KEEP,)
            )

        await self.db.write(work)

    async def stop(self) -> None:
        await self._writes.stop()
