"""Monthly billing periods anchored on the day a subscription started.

Period n starts n calendar months after the anchor; a day the month lacks is clamped to its
last day (an anchor on Jan 31 renews on Feb 28/29, Mar 31, Apr 30, ...), computed from the
anchor each time so the day never drifts.
"""

from __future__ import annotations

import calendar
from datetime import datetime


def add_months(anchor: datetime, months: int) -> datetime:
    total = anchor.month - 1 + months
    year, month = anchor.year + total // 12, total % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_start(anchor: datetime, index: int) -> datetime:
    return add_months(anchor, index)


def period_key(anchor: datetime, index: int) -> str:
    """A stable name for period ``index`` (its start date), unique per subscription."""
    return period_start(anchor, index).date().isoformat()
