"""Billing jobs: monthly number renewals (durable timers, one per period)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.billing import subscriptions
from relaybox.billing.models import Subscription
from relaybox.jobs import JobContext, handler

log = logging.getLogger("relaybox.billing")


@handler(subscriptions.RENEW_JOB, max_attempts=20)
async def renew(ctx: JobContext) -> None:
    subscription_id = ctx.payload["subscription_id"]

    async def work(session: AsyncSession) -> str:
        outcome = await subscriptions.renew(session, subscription_id)
        if outcome == "lapsed":
            from relaybox.numbers import service as numbers
            from relaybox.numbers.models import PhoneNumber

            sub = await session.get(Subscription, subscription_id)
            number = await session.get(PhoneNumber, sub.number_id) if sub else None
            if number is not None:
                since = sub.past_due_since if sub else None
                log.warning("number %s released: unpaid since %s", number.e164, since)
                await numbers.release_number(session, number)
        return outcome

    await ctx.complete(work)
