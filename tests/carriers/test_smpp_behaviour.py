"""The adapter against a real SMSC peer: errors, timeouts, unbinds, receipts, MO, pacing,
reconnects and failover."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from relaybox.carriers.base import (
    CarrierRejected,
    CarrierThrottled,
    CarrierUnavailable,
    SubmitOutcomeUnknown,
)
from relaybox.carriers.smpp.adapter import SmppAdapter
from tests.carriers.smpp_support import Recorder, config_for, outbound
from tests.peers.smsc import Smsc

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def smsc() -> AsyncIterator[Smsc]:
    async with Smsc(receipt_delay=0.01) as peer:
        yield peer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def events() -> Recorder:
    return Recorder()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def adapter(smsc: Smsc, events: Recorder) -> AsyncIterator[SmppAdapter]:
    a = SmppAdapter(configs=[config_for(smsc, "main", sessions=2, response_timeout=0.5)])
    await a.start(events)
    await smsc.wait_bound(2)
    yield a
    await a.stop()


async def test_delivered_and_undelivered_receipts(
    smsc: Smsc, adapter: SmppAdapter, events: Recorder
) -> None:
    events.receipts.clear()
    ok = await adapter.submit(outbound("hello", to="+447700900123"))
    bad = await adapter.submit(outbound("hello", to="+447700909991"))
    assert ok.carrier_message_id.startswith("main:") and ok.part_ids == ()
    await events.wait(receipts=2)
    by_id = {r.carrier_message_id: r for r in events.receipts}
    assert by_id[ok.carrier_message_id].status == "delivered"
    assert by_id[ok.carrier_message_id].carrier_status == "DELIVRD"
    undelivered = by_id[bad.carrier_message_id]
    assert (undelivered.status, undelivered.error_code, undelivered.carrier_error) == (
        "undelivered",
        30003,
        "027",
    )
    assert len({r.event_id for r in events.receipts}) == 2


async def test_multipart_returns_every_part_id_and_each_part_is_receipted(
    smsc: Smsc, adapter: SmppAdapter, events: Recorder
) -> None:
    events.receipts.clear()
    result = await adapter.submit(outbound("x" * 400))
    assert len(result.part_ids) == 3 and result.carrier_message_id == result.part_ids[0]
    await events.wait(receipts=3)
    assert {r.carrier_message_id for r in events.receipts} == set(result.part_ids)


@pytest.mark.parametrize(
    ("suffix", "error", "code"),
    [
        ("9992", CarrierRejected, 30005),
        ("9994", CarrierThrottled, None),
        ("9995", CarrierThrottled, None),
    ],
)
async def test_submit_errors_are_typed(
    adapter: SmppAdapter, suffix: str, error: type[Exception], code: int | None
) -> None:
    with pytest.raises(error) as caught:
        await adapter.submit(outbound("x", to=f"+44770090{suffix}"))
    if code is not None:
        assert caught.value.error_code == code  # type: ignore[attr-defined]
    else:
        assert caught.value.retry_after > 0  # type: ignore[attr-defined]


async def test_throttling_slows_the_connection_down(adapter: SmppAdapter) -> None:
    with pytest.raises(CarrierThrottled):
        await adapter.submit(outbound("x", to="+447700909994"))
    health = adapter.health()["connections"]["main"]
    assert health["slowed_down"] and health["tps_cap"] > 0 and health["throttled"] >= 1
    adapter.connections[0].pacer._slow_until = 0  # end the slow-down for the next tests


async def test_no_answer_is_an_unknown_outcome_and_recover_refuses(adapter: SmppAdapter) -> None:
    message = outbound("x", to="+447700909993")
    with pytest.raises(SubmitOutcomeUnknown):
        await adapter.submit(message)
    with pytest.raises(SubmitOutcomeUnknown):
        await adapter.recover(message)


async def test_recover_returns_a_result_this_process_saw(adapter: SmppAdapter) -> None:
    message = outbound("x")
    result = await adapter.submit(message)
    assert await adapter.recover(message) == result


async def test_unbind_on_submit_is_unknown_then_the_bind_comes_back(
    smsc: Smsc, adapter: SmppAdapter
) -> None:
    binds_before = sum(b.binds for b in adapter.connections[0].binds)
    with pytest.raises(SubmitOutcomeUnknown):
        await adapter.submit(outbound("x", to="+447700909996"))
    deadline = time.monotonic() + 10
    while not (
        sum(b.binds for b in adapter.connections[0].binds) > binds_before
        and adapter.health()["connections"]["main"]["bound"] == 2
    ):  # the dropped bind noticed, reconnected and bound again
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    await adapter.submit(outbound("after the unbind"))


async def test_slow_answer_past_the_timeout_is_unknown(adapter: SmppAdapter) -> None:
    with pytest.raises(SubmitOutcomeUnknown):
        await adapter.submit(outbound("x", to="+447700909997"))


async def test_mo_single_multipart_duplicate_and_alphabets(
    smsc: Smsc, adapter: SmppAdapter, events: Recorder
) -> None:
    events.mo.clear()
    await smsc.send_mo("+447700900555", "+447700900001", "STOP")
    await smsc.send_mo("+447700900555", "+447700900001", "Привет", data_coding=8)
    await smsc.send_mo("+447700900555", "+447700900001", "café", data_coding=3)
    await smsc.send_mo(
        "+447700900555", "+447700900001", "first half ", udh=bytes.fromhex("0500037f0201")
    )
    await smsc.send_mo(
        "+447700900555", "+447700900001", "second half", udh=bytes.fromhex("0608047f7f0202")
    )
    await smsc.send_mo("+447700900555", "+447700900001", "STOP")  # a redelivery
    await events.wait(inbound=6)
    stop, ru, latin, part1, part2, again = events.mo
    assert (stop.sender, stop.to, stop.body, stop.part_total) == (
        "+447700900555",
        "+447700900001",
        "STOP",
        1,
    )
    assert (ru.body, latin.body) == ("Привет", "café")
    assert (part1.concat_ref, part1.part_total, part1.part_seq) == ("main:8:127", 2, 1)
    assert (part2.concat_ref, part2.part_seq, part2.body) == ("main:16:32639", 2, "second half")
    assert again.external_id == stop.external_id != ru.external_id


async def test_packed_mo() -> None:
    smsc = Smsc()
    await smsc.start()
    packed = SmppAdapter(configs=[config_for(smsc, "packed", gsm7="packed")])
    recorder = Recorder()
    await packed.start(recorder)
    await smsc.wait_bound(1)  # the peer registers the session a moment after the bind answer
    try:
        text = "Packed septets {with} escapes €"
        await smsc.send_mo("+447700900555", "+447700900001", text, packed=True)
        await smsc.send_mo(
            "+447700900555",
            "+447700900001",
            text,
            packed=True,
            udh=bytes.fromhex("050003010201"),
        )
        await recorder.wait(inbound=2)
    finally:
        await packed.stop()
        await smsc.stop()
    assert [m.body for m in recorder.mo] == [text, text]


async def test_tps_cap_is_enforced(smsc: Smsc) -> None:
    cap, n = 50, 40
    capped = SmppAdapter(configs=[config_for(smsc, "capped", tps=cap)])
    await capped.start(Recorder())
    try:
        started = time.monotonic()
        await asyncio.gather(*(capped.submit(outbound(f"m{i}")) for i in range(n)))
        elapsed = time.monotonic() - started
    finally:
        await capped.stop()
    # pacing: the i-th submit leaves at (i - 1) / cap, so n take at least (n - 1) / cap
    assert elapsed >= (n - 1) / cap


async def test_reconnects_after_the_smsc_restarts() -> None:
    peer = Smsc()
    await peer.start()
    port = peer.port
    adapter = SmppAdapter(configs=[config_for(peer, "restart")])
    await adapter.start(Recorder())
    try:
        await adapter.submit(outbound("before"))
        await peer.stop()
        await asyncio.sleep(0.1)
        with pytest.raises(CarrierUnavailable):
            await adapter.submit(outbound("while down"))
        peer = Smsc(port=port)
        await peer.start()
        await peer.wait_bound(1, timeout=15)
        for _ in range(100):
            if adapter.health()["status"] == "up":
                break
            await asyncio.sleep(0.05)
        await adapter.submit(outbound("after"))
        assert peer.stats()["submits"] == 1
        assert adapter.health()["connections"]["restart"]["binds"][0]["binds"] == 2
    finally:
        await adapter.stop()
        await peer.stop()


async def test_routes_by_longest_prefix_and_fails_over_when_unavailable(smsc: Smsc) -> None:
    other = Smsc(system_id="other")
    await other.start()
    configs = [
        config_for(smsc, "uk", prefixes=("44",)),
        config_for(other, "uk-mobile", prefixes=("447",)),
        config_for(smsc, "any", priority=200),
        # a dead connection with the best prefix: traffic fails over to the next one
        config_for(smsc, "dead", prefixes=("4479",), priority=1).replace(port=1),
    ]
    adapter = SmppAdapter(configs=configs, bind_wait=1)
    await adapter.start(Recorder())
    try:
        smsc.reset()
        r1 = await adapter.submit(outbound("x", to="+447900000001"))  # dead → uk-mobile
        r2 = await adapter.submit(outbound("x", to="+447000000001"))  # uk-mobile
        r3 = await adapter.submit(outbound("x", to="+442000000001"))  # uk
        r4 = await adapter.submit(outbound("x", to="+15005550123"))  # any
        assert [r.carrier_message_id.split(":")[0] for r in (r1, r2, r3, r4)] == [
            "uk-mobile",
            "uk-mobile",
            "uk",
            "any",
        ]
        assert adapter.health()["status"] == "degraded"
    finally:
        await adapter.stop()
        await other.stop()
