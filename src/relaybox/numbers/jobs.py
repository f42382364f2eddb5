"""Number jobs: simulator stock top-ups, the end of a quarantine, port-order timers."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from relaybox.domain.inventory import Filters
from relaybox.jobs import JobContext, handler
from relaybox.numbers import porting, stock


@handler(stock.REPLENISH_JOB, max_attempts=3)
async def replenish(ctx: JobContext) -> None:
    f = Filters(countries=[ctx.payload["country"]], type=ctx.payload["type"])

    async def work(session: AsyncSession) -> None:
        await stock.fill(session, await stock.shortfall(session, f))

    await ctx.complete(work)


@handler(stock.UNQUARANTINE_JOB)
async def unquarantine(ctx: JobContext) -> None:
    async def work(session: AsyncSession) -> None:
        await stock.end_quarantine(session, ctx.payload["stock_id"])

    await ctx.complete(work)


@handler(porting.PORT_JOB)
async def advance_port(ctx: JobContext) -> None:
    async def work(session: AsyncSession) -> None:
        await porting.advance(session, ctx.payload["order_id"], ctx.payload["step"])

    await ctx.complete(work)
