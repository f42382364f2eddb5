"""What the SMSC sees: submit through the adapter to a real SMSC peer and decode its bytes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from relaybox.carriers.smpp.adapter import SmppAdapter
from relaybox.domain import encoding
from tests.carriers.smpp_support import Recorder, config_for, outbound
from tests.peers.smsc import Smsc, Submit

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def smsc() -> AsyncIterator[Smsc]:
    async with Smsc(receipts="never") as peer:
        yield peer


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def adapters(smsc: Smsc) -> AsyncIterator[dict[str, SmppAdapter]]:
    made = {
        "unpacked": SmppAdapter(configs=[config_for(smsc, "unpacked")]),
        "packed": SmppAdapter(configs=[config_for(smsc, "packed", gsm7="packed")]),
        "sar": SmppAdapter(configs=[config_for(smsc, "sar", concat="sar")]),
    }
    for adapter in made.values():
        await adapter.start(Recorder())
    yield made
    for adapter in made.values():
        await adapter.stop()


def decode_part(s: Submit, packed: bool) -> tuple[str, tuple[int, int, int] | None]:
    """Independent of the adapter's encoder: UDH or SAR header, then the text."""
    data, concat = s.short_message, None
    udh_len = 0
    if s.esm_class & 0x40:
        udh_len = data[0] + 1
        udh, data = data[:udh_len], data[udh_len:]
        assert udh[1:3] == b"\x00\x03", udh.hex()  # IEI 0: 8-bit reference
        concat = (udh[3], udh[4], udh[5])
    elif 0x020C in s.tlvs:
        concat = (
            int.from_bytes(s.tlvs[0x020C], "big"),
            s.tlvs[0x020E][0],
            s.tlvs[0x020F][0],
        )
    if s.data_coding == 8:
        return data.decode("utf-16-be"), concat
    assert s.data_coding == 0
    if packed:
        fill = (7 - udh_len * 8 % 7) % 7
        count = (len(data) * 8 - fill) // 7
        septets = encoding.unpack_septets(data, count, fill)
        if (count * 7 + fill) % 8 == 0 and septets.endswith(b"\r"):
            septets = septets[:-1]
        return encoding.decode_gsm7(septets), concat
    assert all(b < 0x80 for b in data)
    return encoding.decode_gsm7(data), concat


EXT = "€[]{}^~|\\"
BODIES: list[tuple[str, str, int, int]] = [
    # (label, body, parts, data_coding)
    ("plain", "Hello from relaybox", 1, 0),
    ("gsm-153", "b" * 153, 1, 0),
    ("gsm-154", "d" * 154, 1, 0),
    ("gsm-160", "a" * 160, 1, 0),
    ("gsm-161", "c" * 161, 2, 0),
    ("gsm-306", "e" * 306, 2, 0),
    ("gsm-307", "f" * 307, 3, 0),
    ("ext-at-boundary", "g" * 152 + "€" + "h" * 20, 2, 0),  # the escape pair moves to part 2
    ("ext-every-kind", (EXT * 20)[:170], 3, 0),
    ("ext-last", "i" * 159 + "[", 2, 0),  # 161 septets
    ("ucs2-70", "ж" * 70, 1, 8),
    ("ucs2-71", "ж" * 71, 2, 8),
    ("emoji-at-67", "ж" * 66 + "😀" + "z" * 10, 2, 8),  # the surrogate pair moves on
    ("emoji-only", "😀" * 40, 2, 8),
]


async def test_the_table_agrees_with_the_segment_rules() -> None:
    for _label, body, parts, _dc in BODIES:
        assert encoding.analyze(body).segments == parts


@pytest.mark.parametrize("mode", ["unpacked", "packed", "sar"])
@pytest.mark.parametrize(
    ("label", "body", "parts", "data_coding"), BODIES, ids=[b[0] for b in BODIES]
)
async def test_the_smsc_reads_what_we_meant(
    smsc: Smsc,
    adapters: dict[str, SmppAdapter],
    mode: str,
    label: str,
    body: str,
    parts: int,
    data_coding: int,
) -> None:
    smsc.reset()
    result = await adapters[mode].submit(outbound(body))
    assert len(smsc.submits) == parts
    assert len(result.part_ids) == (parts if parts > 1 else 0)
    texts, headers = [], []
    for s in smsc.submits:
        assert s.data_coding == data_coding
        assert (s.destination_addr, s.source_addr) == ("447700900123", "447700900001")
        assert (s.source_addr_ton, s.source_addr_npi) == (1, 1)
        text, concat = decode_part(s, packed=mode == "packed")
        texts.append(text)
        headers.append(concat)
    assert "".join(texts) == body
    if parts == 1:
        assert headers == [None] and smsc.submits[0].esm_class == 0
        return
    refs = {h[0] for h in headers if h}
    assert len(refs) == 1
    assert [h[1:] for h in headers if h] == [(parts, seq) for seq in range(1, parts + 1)]
    assert all(s.esm_class == (0 if mode == "sar" else 0x40) for s in smsc.submits)
    limit = 153 if data_coding == 0 else 67
    for text in texts:
        units = encoding.analyze(text).units
        assert units <= limit


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("+447700900001", ("447700900001", 1, 1)),
        ("RelayBox", ("RelayBox", 5, 0)),
        ("12345", ("12345", 3, 0)),
    ],
)
async def test_source_ton_npi(
    smsc: Smsc, adapters: dict[str, SmppAdapter], sender: str, expected: Any
) -> None:
    smsc.reset()
    await adapters["unpacked"].submit(outbound("hi", sender=sender, validity_seconds=3600))
    s = smsc.submits[0]
    assert (s.source_addr, s.source_addr_ton, s.source_addr_npi) == expected
    assert s.registered_delivery == 1
