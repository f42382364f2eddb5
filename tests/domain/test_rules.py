"""Status machine, keywords, OTP rules and money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relaybox.domain import keywords, otp, status
from relaybox.domain.money import Money

states = st.sampled_from(status.STATES)


def test_table() -> None:
    assert status.can_transition("accepted", "sent")
    assert status.can_transition("sent", "delivered")
    assert status.can_transition("sent", "expired")
    assert status.can_transition("accepted", "expired")
    assert not status.can_transition("sent", "sent")  # duplicates are not transitions
    assert not status.can_transition("sent", "accepted")  # no regression
    assert not status.can_transition("delivered", "undelivered")  # terminal is final
    with pytest.raises(ValueError):
        status.can_transition("sent", "read")


@given(st.lists(states, max_size=30))
def test_any_event_sequence_is_monotonic(events: list[str]) -> None:
    current = "accepted"
    seen_terminal = None
    for new in events:
        if status.can_transition(current, new):
            assert current not in status.TERMINAL
            if new not in status.TERMINAL:
                assert status.RANK[new] > status.RANK[current]
            current = new
        if current in status.TERMINAL:
            seen_terminal = seen_terminal or current
            assert current == seen_terminal


def test_combine_parts() -> None:
    assert status.combine(["delivered", "delivered"]) == "delivered"
    assert status.combine(["delivered", "sent"]) == "sent"
    assert status.combine(["delivered", "undelivered"]) == "undelivered"
    assert status.combine(["failed", "delivered", "undelivered"]) == "failed"
    assert status.combine(["expired", "delivered"]) == "undelivered"


def test_surface_mappings() -> None:
    assert [
        status.to_spec003(s) for s in ("accepted", "sent", "delivered", "undelivered", "failed")
    ] == ["SENT", "SENT", "DELIVERED", "UNDELIVERED", "REJECTED"]
    assert status.to_spec002("accepted") == "pending" and status.to_spec002("sent") == "sent"
    assert status.to_spec001("accepted") == "queued"


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        ("STOP", "opt_out"),
        (" stop ", "opt_out"),
        ("Unsubscribe", "opt_out"),
        ("optout", "opt_out"),
        ("STOPALL", "opt_out"),
        ("revoke", "opt_out"),
        ("START", "opt_in"),
        ("yes", "opt_in"),
        ("UNSTOP", "opt_in"),
        ("help", "help"),
        ("INFO", "help"),
        ("STOP PLEASE", None),
        ("stop.", None),
        ("", None),
        ("stopp", None),
    ],
)
def test_keywords(body: str, kind: str | None) -> None:
    assert keywords.classify(body) == kind


@given(st.text(max_size=40))
def test_keywords_need_the_whole_body(body: str) -> None:
    kind = keywords.classify(body)
    if kind is not None:
        assert body.strip().upper() in keywords.OPT_OUT | keywords.OPT_IN | keywords.HELP


def test_otp_rules() -> None:
    code = otp.generate_code(8)
    assert len(code) == 8 and code.isdigit()
    with pytest.raises(ValueError):
        otp.generate_code(3)
    salt = otp.new_salt()
    stored = otp.hash_code(code, salt)
    assert code not in stored and otp.check_code(code, salt, stored)
    assert not otp.check_code("0" * 8 if code != "0" * 8 else "1" * 8, salt, stored)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    sends = [now - timedelta(minutes=m) for m in (1, 2, 3, 4)]
    assert otp.can_send(sends, now)
    assert not otp.can_send([*sends, now], now)
    assert otp.can_send([*sends, now - timedelta(minutes=11)], now)


@given(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.sampled_from(["USD", "EUR", "JPY", "KWD"]),
)
def test_money_round_trip(amount: int, currency: str) -> None:
    money = Money(amount, currency)
    assert Money.parse(money.format(), currency) == money
    spec = money.to_spec004()
    assert Decimal(spec["amount"]).scaleb(-spec["exponent"]) == money.to_decimal()


def test_money() -> None:
    assert Money.parse("12.34", "USD").amount == 12_340_000
    assert Money.parse(25, "USD").format() == "25.00"
    assert Money.parse("0.0079", "USD").format() == "0.0079"
    assert Money.parse("0.0079", "USD").to_spec004() == {
        "amount": 79,
        "currency": "USD",
        "exponent": 4,
    }
    assert Money.parse("1.15", "USD").to_spec004() == {
        "amount": 115,
        "currency": "USD",
        "exponent": 2,
    }
    assert Money.parse("100", "JPY").to_spec004() == {
        "amount": 100,
        "currency": "JPY",
        "exponent": 0,
    }
    assert Money(12_340_000, "USD").to_decimal() == Decimal("12.34")
    with pytest.raises(ValueError):
        Money.parse("0.0000001", "USD")
    with pytest.raises(ValueError):
        Money(1, "USD") + Money(1, "EUR")
    assert (Money(5, "USD") * 3).amount == 15
