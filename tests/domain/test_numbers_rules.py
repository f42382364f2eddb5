"""Pure rules of numbers and billing: port-order states, monthly periods."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from relaybox.domain import periods
from relaybox.domain import porting as rules

anchors = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


@given(anchors, st.integers(min_value=0, max_value=240))
def test_periods_keep_the_anchor_day_and_never_overlap(anchor: datetime, n: int) -> None:
    this, following = periods.add_months(anchor, n), periods.add_months(anchor, n + 1)
    assert this < following
    assert 28 <= (following - this).days <= 31
    assert this.day == anchor.day or this.day < anchor.day  # clamped at a short month's end
    assert (this.year * 12 + this.month) - (anchor.year * 12 + anchor.month) == n
    assert periods.period_key(anchor, n) != periods.period_key(anchor, n + 1)


def test_port_states() -> None:
    assert rules.can_transition(rules.SUBMITTED, rules.IN_REVIEW)
    assert rules.can_transition(rules.FOC_CONFIRMED, rules.PORTED)
    assert not rules.can_transition(rules.SUBMITTED, rules.PORTED)
    assert not rules.can_transition(rules.IN_REVIEW, rules.SUBMITTED)
    for state in rules.TERMINAL:
        assert all(not rules.can_transition(state, other) for other in rules.STATES)
    now = datetime(2030, 1, 10, tzinfo=UTC)
    foc = now + timedelta(days=3)
    assert rules.may_cancel(rules.FOC_CONFIRMED, foc, now)
    assert not rules.may_cancel(rules.FOC_CONFIRMED, foc, foc - rules.CUTOFF)
    assert rules.may_cancel(rules.SUBMITTED, None, now)
    assert not rules.may_cancel(rules.PORTED, None, now)
    assert rules.simulated_rejection("REJECT wireless") is not None
    assert rules.simulated_rejection("Acme") is None
