"""The retry schedule, Retry-After and what each status code means."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from relaybox.webhooks import policy

NOW = datetime(2026, 1, 12, 20, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("attempt", "base"),
    [(1, 5), (2, 300), (3, 1800), (4, 7200), (5, 18000), (6, 36000), (7, 36000), (20, 36000)],
)
def test_backoff_follows_the_schedule_with_jitter(attempt: int, base: float) -> None:
    assert policy.backoff(attempt, lambda: 0.0) == pytest.approx(base * 0.8)
    assert policy.backoff(attempt, lambda: 1.0) == pytest.approx(base * 1.2)
    assert base * 0.8 <= policy.backoff(attempt) <= base * 1.2


def test_the_window_ends_after_24_hours_with_a_last_attempt_at_its_end() -> None:
    deadline = NOW + policy.WINDOW
    at, attempt, times = NOW, 1, [NOW]
    while (wait := policy.next_delay(attempt, at, deadline, rand=lambda: 0.5)) is not None:
        at += timedelta(seconds=wait)
        attempt += 1
        times.append(at)
    assert times[-1] == deadline
    assert 7 <= len(times) <= 9
    assert [round((b - a).total_seconds()) for a, b in itertools.pairwise(times)][:6] == [
        5,
        300,
        1800,
        7200,
        18000,
        36000,
    ]


def test_retry_after_is_a_floor_and_is_clamped_to_the_window() -> None:
    deadline = NOW + timedelta(hours=1)
    assert policy.next_delay(1, NOW, deadline, 120, rand=lambda: 0.5) == 120
    assert policy.next_delay(1, NOW, deadline, 1, rand=lambda: 0.5) == 5  # never sooner than 5 s
    assert policy.next_delay(3, NOW, deadline, None, rand=lambda: 0.5) == 1800
    assert policy.next_delay(1, NOW, deadline, 10 * 3600) == 3600
    assert policy.next_delay(1, deadline, deadline) is None


def test_retry_after_parsing() -> None:
    assert policy.parse_retry_after("120", NOW) == 120
    assert policy.parse_retry_after(" 0 ", NOW) == 0
    later = format_datetime(NOW + timedelta(minutes=10), usegmt=True)
    assert policy.parse_retry_after(later, NOW) == 600
    earlier = format_datetime(NOW - timedelta(minutes=10), usegmt=True)
    assert policy.parse_retry_after(earlier, NOW) == 0
    for junk in (None, "", "soon", "-5", "1.5"):
        assert policy.parse_retry_after(junk, NOW) is None


@pytest.mark.parametrize(
    ("code", "verdict"),
    [
        (200, policy.OK),
        (201, policy.OK),
        (204, policy.OK),
        (299, policy.OK),
        (301, policy.FINAL),
        (302, policy.FINAL),
        (307, policy.FINAL),
        (400, policy.FINAL),
        (401, policy.FINAL),
        (404, policy.FINAL),
        (408, policy.FINAL),
        (410, policy.GONE),
        (429, policy.RETRY),
        (500, policy.RETRY),
        (502, policy.RETRY),
        (503, policy.RETRY),
    ],
)
def test_classify(code: int, verdict: str) -> None:
    assert policy.classify(code) == verdict
