"""What a message costs: segments x the destination's SMS rate (rates/service.py)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.rates import service as rates

DEFAULT_SEGMENT_PRICE = 7_900  # micro-units: 0.0079 USD a segment when the country is unknown


async def price(
    session: AsyncSession, account_id: str, country: str | None, segments: int
) -> tuple[int, str]:
    """(amount in micro-units, currency) for ``segments`` segments to ``country``."""
    if country:
        per_segment, currency = await rates.sms_price(session, account_id, country)
        return per_segment * segments, currency
    return DEFAULT_SEGMENT_PRICE * segments, "USD"
