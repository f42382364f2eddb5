"""Pure SMPP rules: receipt parsing, id normalisation, addresses, validity, encode/decode."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaybox.carriers.smpp import encode, receipts
from relaybox.carriers.smpp.config import (
    SmppConfig,
    destination_address,
    source_address,
    validity_period,
)
from relaybox.carriers.smpp.routing import candidates
from relaybox.domain import encoding

TEXT = (
    "id:{id} sub:001 dlvrd:001 submit date:2611230940 done date:2611230941 stat:{stat} "
    "err:{err} text:Hello stat:UNDELIV"
)


@pytest.mark.parametrize(
    ("short_message", "tlvs", "expected"),
    [
        (TEXT.format(id="123", stat="DELIVRD", err="000"), {}, ("123", "DELIVRD", "000")),
        (TEXT.format(id="0A1B", stat="UNDELIV", err="027"), {}, ("0A1B", "UNDELIV", "027")),
        # upper/lower case keys, Text: with a capital, no sub/dlvrd
        (
            "ID:77 submit date:2611230940 done date:2611230941 STAT:expired err:0 Text:x",
            {},
            ("77", "EXPIRED", "0"),
        ),
        ("id:9 stat:REJECTD err:008", {}, ("9", "REJECTD", "008")),
        ("id:9 stat:ACCEPTD", {}, ("9", "ACCEPTD", None)),
        # the TLVs win over the text
        (
            "id:1 stat:ENROUTE",
            {0x001E: b"00AB\x00", 0x0427: bytes((2,))},
            ("00AB", "DELIVRD", None),
        ),
        # TLVs only, with the network error code (type 3 GSM, value 27)
        (
            "",
            {0x001E: b"5\x00", 0x0427: bytes((5,)), 0x0423: b"\x03\x00\x1b"},
            ("5", "UNDELIV", "027"),
        ),
        ("", {0x001E: b"5\x00", 0x0427: bytes((8,))}, ("5", "REJECTD", None)),
    ],
)
def test_receipt_forms(short_message: str, tlvs: dict[int, bytes], expected: tuple) -> None:
    parsed = receipts.parse(short_message.encode(), tlvs)
    assert parsed is not None
    assert (parsed.message_id, parsed.stat, parsed.err) == expected


def test_not_a_receipt() -> None:
    assert receipts.parse(b"hello there", {}) is None


@pytest.mark.parametrize(
    ("stat", "err", "status", "code"),
    [
        ("DELIVRD", "000", "delivered", None),
        ("ACCEPTD", "000", "accepted", None),
        ("UNDELIV", "000", "undelivered", 30003),
        ("UNDELIV", "001", "undelivered", 30005),
        ("EXPIRED", "000", "expired", 30036),
        ("REJECTD", "000", "failed", 30007),
        ("DELETED", "000", "failed", 30008),
        ("UNKNOWN", "000", "failed", 30008),
        ("WEIRD", "000", "failed", 30008),
    ],
)
def test_status_mapping(stat: str, err: str, status: str, code: int | None) -> None:
    parsed = receipts.ParsedReceipt("42", stat, err, None, {})
    r = receipts.to_receipt(
        parsed, carrier="smpp", connection="c", written="text", canonical="text", raw={}
    )
    assert (r.status, r.error_code, r.carrier_message_id) == (status, code, "c:42")
    assert r.event_id == f"c:42:{stat}"


@pytest.mark.parametrize(
    ("raw", "written", "canonical", "expected"),
    [
        ("000123", "text", "text", "123"),
        ("00AbC", "text", "text", "abc"),
        ("0", "text", "text", "0"),
        ("000", "text", "text", "0"),
        (" 42\x00", "text", "text", "42"),
        ("FF", "hex", "decimal", "255"),
        ("00ff", "hex", "decimal", "255"),
        ("255", "decimal", "decimal", "255"),
    ],
)
def test_id_normalisation(raw: str, written: str, canonical: str, expected: str) -> None:
    assert receipts.normalize_id(raw, written, canonical) == expected  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=2**64), st.integers(min_value=0, max_value=6))
def test_hex_submit_ids_meet_decimal_receipt_ids(n: int, zeros: int) -> None:
    canonical = receipts.canonical_format("hex", "decimal")
    from_submit = receipts.normalize_id("0" * zeros + f"{n:X}", "hex", canonical)
    from_receipt = receipts.normalize_id("0" * zeros + str(n), "decimal", canonical)
    assert from_submit == from_receipt


@given(st.text(alphabet="0123456789abcdefABCDEF", min_size=1, max_size=20))
def test_normalisation_is_idempotent_and_case_blind(raw: str) -> None:
    once = receipts.normalize_id(raw)
    assert receipts.normalize_id(once) == once
    assert receipts.normalize_id(raw.upper()) == receipts.normalize_id(raw.lower()) == once


@pytest.mark.parametrize(
    ("sender", "expected"),
    [
        ("+447700900001", ("447700900001", 1, 1)),
        ("447700900001", ("447700900001", 1, 1)),
        ("12345", ("12345", 3, 0)),
        ("RelayBox", ("RelayBox", 5, 0)),
        ("Relay Box Long Name", ("Relay Box L", 5, 0)),
    ],
)
def test_source_address(sender: str, expected: tuple) -> None:
    assert source_address(sender) == expected


def test_destination_and_validity() -> None:
    assert destination_address("+15005550006") == ("15005550006", 1, 1)
    assert validity_period(None) == ""
    assert validity_period(3600) == "000000010000000R"
    assert validity_period(2 * 86400 + 61) == "000002000101000R"
    assert validity_period(10) == "000000000100000R"  # at least a minute


gsm_text = st.text(alphabet=encoding.GSM7_BASIC.replace("\x1b", "") + "€[]{}^~|\\", max_size=700)
any_text = st.text(max_size=300).filter(lambda t: "\x00" not in t)


@given(gsm_text, st.booleans(), st.sampled_from(["udh", "sar"]))
def test_gsm7_parts_decode_back(body: str, packed: bool, concat: str) -> None:
    parts = encode.parts(body, encoding.GSM7, packed=packed, concat=concat, reference=300)
    text = ""
    for part in parts:
        mo = encode.decode_mo(
            part.short_message, part.esm_class, part.data_coding, dict(part.tlvs), packed=packed
        )
        if len(parts) > 1:
            assert mo.concat is not None and mo.concat.total == len(parts)
        text += mo.text
    assert text == body
    assert len(parts) == encoding.analyze(body).segments


@given(any_text)
def test_any_text_parts_decode_back(body: str) -> None:
    enc = encoding.analyze(body).encoding
    parts = encode.parts(body, enc)
    text = "".join(
        encode.decode_mo(p.short_message, p.esm_class, p.data_coding, {}, packed=False).text
        for p in parts
    )
    assert text == body


def _config(name: str, prefixes: tuple[str, ...] = (), priority: int = 100) -> SmppConfig:
    return SmppConfig(
        name=name,
        host="h",
        port=1,
        system_id="s",
        password="p",
        prefixes=prefixes,
        priority=priority,
    )


class _C:
    def __init__(self, config: SmppConfig) -> None:
        self.config = config


def test_routing_order() -> None:
    cs = [
        _C(_config("any", priority=5)),
        _C(_config("uk", ("44",))),
        _C(_config("uk-mobile-b", ("447",), priority=50)),
        _C(_config("uk-mobile-a", ("447", "4475"), priority=60)),
        _C(_config("us", ("1",))),
    ]
    assert [c.config.name for c in candidates(cs, "+447700900001")] == [
        "uk-mobile-b",
        "uk-mobile-a",
        "uk",
        "any",
    ]
    assert candidates(cs, "+447500900001")[0].config.name == "uk-mobile-a"
    assert [c.config.name for c in candidates(cs, "+33600000000")] == ["any"]


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="password"):
        SmppConfig(name="x", host="h", port=1, system_id="s", password="toolongpassword")
    with pytest.raises(ValueError, match="prefixes"):
        SmppConfig(name="x", host="h", port=1, system_id="s", password="p", prefixes=("+44",))
    c = SmppConfig.from_options(
        name="x",
        host="h",
        port=1,
        system_id="s",
        password="p",
        options={"prefixes": ["+44"], "tps": 5, "unknown_later_option": 1},
    )
    assert c.prefixes == ("44",) and c.tps == 5
    assert (
        SmppConfig.from_options(
            name="x", host="h", port=1, system_id="s", password="p", options=c.options()
        )
        == c
    )
