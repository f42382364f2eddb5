"""The submit journal: what ``recover`` knows after a crash, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from relaybox.carriers.base import CarrierThrottled, SubmitOutcomeUnknown
from relaybox.carriers.smpp.adapter import SmppAdapter
from relaybox.carriers.smpp.journal import SENDING, Journal
from relaybox.runtime import Runtime
from tests.carriers.smpp_support import Recorder, config_for, outbound
from tests.peers.smsc import Smsc


@pytest.fixture
async def smsc() -> AsyncIterator[Smsc]:
    async with Smsc(receipt_delay=0.01) as peer:
        yield peer


async def fresh_process(runtime: Runtime, smsc: Smsc) -> SmppAdapter:
    """An adapter that remembers nothing in memory, as after a restart."""
    adapter = SmppAdapter(runtime, configs=[config_for(smsc, "main", response_timeout=0.3)])
    await adapter.start(Recorder())
    return adapter


async def test_recover_after_a_restart_reads_the_journal(runtime: Runtime, smsc: Smsc) -> None:
    first = await fresh_process(runtime, smsc)
    answered, never = outbound("answered"), outbound("never sent")
    unanswered = outbound("no answer", to="+447700909993")
    throttled = outbound("throttled", to="+447700909994")
    try:
        result = await first.submit(answered)
        with pytest.raises(SubmitOutcomeUnknown):
            await first.submit(unanswered)
        with pytest.raises(CarrierThrottled):
            await first.submit(throttled)
    finally:
        await first.stop()

    journal = Journal(runtime.db)
    assert await journal.lookup(answered.message_id) == result
    assert await journal.lookup(unanswered.message_id) == SENDING
    assert await journal.lookup(throttled.message_id) is None  # certainly not at the SMSC

    second = await fresh_process(runtime, smsc)
    try:
        assert await second.recover(answered) == result  # the SMSC's ids: receipts will match
        assert await second.recover(never) is None  # never started: safe to submit
        assert await second.recover(throttled) is None
        with pytest.raises(SubmitOutcomeUnknown):
            await second.recover(unanswered)  # may be at the SMSC: never resubmitted
    finally:
        await second.stop()
    submitted = [s.short_message for s in smsc.submits]
    assert submitted.count(b"answered") == 1 and b"never sent" not in submitted
