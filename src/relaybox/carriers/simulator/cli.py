"""`relaybox simulator ...`: the simulated network from a shell — text a project number from a
virtual handset (replies, STOP, HELP), read what a handset received, list the magic numbers.

It writes to the same database as the server; the server's worker picks up what follows
(auto-replies, inbound webhooks) as it does for any inbound message.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

app = typer.Typer(help="The carrier simulator: virtual handsets and magic numbers.")


def _run(work: Any) -> Any:
    from relaybox import cli  # imported late: relaybox.cli mounts this app at its import

    return cli._run(work, jobs=True)  # a handset message may enqueue replies and webhooks


def _emit(data: Any) -> None:
    from relaybox import cli

    cli._emit(data)


async def _account_for(session: AsyncSession, number: str, account: str | None) -> str:
    """The account owning ``number``, or the one given; an account must be known."""
    from relaybox.domain import phone
    from relaybox.errors import BadRequest
    from relaybox.numbers import service as numbers_service

    if account:
        return account
    owned = await numbers_service.find_by_e164(session, phone.parse(number).e164)
    if owned is not None:
        return owned.account_id
    raise BadRequest(f"{number} is not an owned number: pass --account.")


@app.command("send")
def send(
    handset: Annotated[str, typer.Argument(help="The virtual handset's number (E.164)")],
    to: Annotated[str, typer.Argument(help="One of your numbers, or the sender you texted from")],
    body: Annotated[str, typer.Argument(help="The text, e.g. STOP")],
    account: Annotated[
        str | None, typer.Option(help="Account (needed when TO is not an owned number)")
    ] = None,
    project: Annotated[str | None, typer.Option(help="Project, when TO is a shared sender")] = None,
) -> None:
    """The virtual handset HANDSET texts TO: it lands in the inbox, keywords apply."""
    from relaybox.accounts.models import Project
    from relaybox.carriers.simulator import handsets
    from relaybox.surfaces.native.sms_schemas import inbound_out

    async def work(s: AsyncSession) -> Any:
        account_id = await _account_for(s, to, account)
        sub_account_id = None
        if project:
            sub_account_id = (
                await s.execute(
                    select(Project.sub_account_id).where(
                        Project.id == project, Project.account_id == account_id
                    )
                )
            ).scalar_one_or_none()
        stored = await handsets.send_from_handset(
            s,
            account_id=account_id,
            sub_account_id=sub_account_id,
            project_id=project if sub_account_id else None,
            handset=handset,
            to=to,
            body=body,
        )
        return inbound_out(stored) if stored else {"status": "received, not stored"}

    _emit(_run(work))


@app.command("inbox")
def inbox(
    handset: Annotated[str, typer.Argument(help="The virtual handset's number (E.164)")],
    account: Annotated[str, typer.Option(help="Account whose traffic to show")],
    limit: int = 20,
) -> None:
    """What the virtual handset received from (and sent to) the account, newest first."""
    from relaybox.carriers.simulator import handsets
    from relaybox.domain import phone

    async def work(s: AsyncSession) -> Any:
        return await handsets.messages(s, account, phone.parse(handset).e164, limit)

    _emit(_run(work))


@app.command("outcomes")
def outcomes() -> None:
    """The magic destination numbers and the outcome each forces."""
    from relaybox.carriers.simulator.outcomes import MAGIC

    for number, outcome in MAGIC.items():
        typer.echo(f"{number}  {outcome.name:<16} {outcome.description}")
