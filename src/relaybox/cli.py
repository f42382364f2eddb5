"""The relaybox command: serve, worker, migrate, admin, numbers, simulator."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, logs
from relaybox.carriers.simulator import cli as simulator_cli
from relaybox.settings import Settings

T = TypeVar("T")
app = typer.Typer(help="relaybox: a self-hosted communications platform.", no_args_is_help=True)
admin = typer.Typer(help="Manage accounts, sub-accounts, projects and keys.", no_args_is_help=True)
app.add_typer(admin, name="admin")
accounts = typer.Typer(help="Accounts (spec 004: organizations).", no_args_is_help=True)
subaccounts = typer.Typer(help="Sub-accounts (spec 004: workspaces).", no_args_is_help=True)
projects = typer.Typer(help="Projects (spec 000).", no_args_is_help=True)
keys = typer.Typer(help="API keys.", no_args_is_help=True)
numbers = typer.Typer(help="Phone number stock.", no_args_is_help=True)
app.add_typer(numbers, name="numbers")
app.add_typer(simulator_cli.app, name="simulator")
admin.add_typer(accounts, name="accounts")
admin.add_typer(subaccounts, name="subaccounts")
admin.add_typer(projects, name="projects")
admin.add_typer(keys, name="keys")
carriers = typer.Typer(help="Live carrier connections.", no_args_is_help=True)
smpp = typer.Typer(
    help="SMPP 3.4 connections (used when RELAYBOX_CARRIER=smpp; read at start).",
    no_args_is_help=True,
)
app.add_typer(carriers, name="carriers")
carriers.add_typer(smpp, name="smpp")


def _settings() -> Settings:
    return Settings()


@app.command()
def migrate() -> None:
    """Apply database migrations."""
    from relaybox import migrate as m

    settings = _settings()
    m.upgrade(settings.resolved_database_url)
    typer.echo("database is at the latest migration")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (RELAYBOX_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (RELAYBOX_PORT).")] = None,
    worker: Annotated[bool, typer.Option(help="Run the job worker in this process.")] = True,
    migrate_first: Annotated[bool, typer.Option("--migrate/--no-migrate")] = True,
) -> None:
    """Serve the API, the simulator and (by default) the job worker."""
    import uvicorn

    from relaybox import migrate as m
    from relaybox.demo import ensure_demo
    from relaybox.http.app import create_app
    from relaybox.runtime import Runtime

    settings = _settings()
    logs.configure(settings.log_level, settings.log_format)
    if migrate_first:
        m.upgrade(settings.resolved_database_url)
    runtime = Runtime(settings)
    if settings.demo:
        creds = asyncio.run(
            _once(
                runtime,
                lambda: ensure_demo(runtime.db, settings.data_dir, credit=settings.demo_credit),
            )
        )
        runtime = Runtime(settings)
        _print_demo(settings, creds)
    application = create_app(settings, runtime=runtime, worker=worker)
    bind_host, bind_port = host or settings.host, port or settings.port
    typer.echo(
        f"relaybox is serving on http://{bind_host}:{bind_port} (API docs at /docs)", err=True
    )
    uvicorn.run(
        application,
        host=bind_host,
        port=bind_port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


def _print_demo(settings: Settings, creds: Any) -> None:
    path = settings.data_dir / "demo.env"
    if creds is not None:
        print("# relaybox demo account created. These keys are shown once;", flush=True)
        print(f"# they are also in {path} (mode 600). Use them with: source {path}")
        print(creds.exports(), flush=True)
    else:
        print(f"# demo account exists; its keys are in {path} (source it)", flush=True)


async def _once(runtime: Any, fn: Callable[[], Awaitable[T]]) -> T:
    try:
        return await fn()
    finally:
        await runtime.db.close()


@app.command()
def worker() -> None:
    """Run job workers only (scale-out on PostgreSQL)."""
    from relaybox.runtime import Runtime

    settings = _settings()
    logs.configure(settings.log_level, settings.log_format)

    async def main() -> None:
        runtime = Runtime(settings)
        await runtime.start(worker=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        await runtime.stop()

    asyncio.run(main())


# -- admin --------------------------------------------------------------------------------------


def _run(work: Callable[[AsyncSession], Awaitable[T]], *, jobs: bool = False) -> T:
    """Run ``work`` in one write transaction; a DomainError exits 1 with its message. ``jobs``
    registers the job handlers first, for work that may enqueue jobs (e.g. an inbound SMS)."""
    from relaybox.storage.database import Database

    settings = _settings()
    if jobs:
        from relaybox.runtime import load_capabilities

        load_capabilities(settings.extra_module_names)

    async def main() -> T:
        db = Database(settings.resolved_database_url)
        try:
            return await db.write(work)
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except Exception as exc:
        from relaybox.errors import DomainError

        if isinstance(exc, DomainError):
            typer.echo(f"error: {exc.message}", err=True)
            raise typer.Exit(1) from None
        raise


def _emit(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


@accounts.command("create")
def accounts_create(
    name: str, geo: Annotated[list[str] | None, typer.Option(help="Allowed country")] = None
) -> None:
    """Create an account."""
    from relaybox.accounts import service

    async def work(s: AsyncSession) -> Any:
        a = await service.create_account(s, name, [g.upper() for g in geo] if geo else None)
        return {"id": a.id, "name": a.name, "status": a.status}

    _emit(_run(work))


@accounts.command("list")
def accounts_list(limit: int = 100) -> None:
    """List accounts."""
    from relaybox.accounts import service

    async def work(s: AsyncSession) -> Any:
        page = await service.list_accounts(s, limit, None)
        return [{"id": a.id, "name": a.name, "status": a.status} for a in page.items]

    _emit(_run(work))


def _status(account_id: str, status: str) -> None:
    from relaybox.accounts import service

    async def work(s: AsyncSession) -> Any:
        a = await service.set_account_status(s, account_id, status)
        return {"id": a.id, "status": a.status}

    _emit(_run(work))


@accounts.command("suspend")
def accounts_suspend(account_id: str) -> None:
    """Suspend an account: all its traffic is refused (403)."""
    _status(account_id, "suspended")


@accounts.command("resume")
def accounts_resume(account_id: str) -> None:
    """Resume a suspended account."""
    _status(account_id, "active")


@accounts.command("top-up")
def accounts_top_up(
    account_id: str,
    amount: Annotated[str, typer.Argument(help="e.g. 25.00")],
    currency: str = "USD",
) -> None:
    """Credit an account's wallet (a top_up ledger row)."""
    from relaybox.accounts import service
    from relaybox.billing import service as wallet
    from relaybox.domain.money import Money

    try:
        micros = Money.parse(amount, currency).amount
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None

    async def work(s: AsyncSession) -> Any:
        await service.get_account(s, account_id)
        entry = await wallet.top_up(s, account_id, micros, currency)
        balance = Money(entry.balance_after, entry.currency)
        return {"id": entry.id, "balance": balance.format(), "currency": entry.currency}

    _emit(_run(work))


@subaccounts.command("create")
def subaccounts_create(account_id: str, name: str) -> None:
    """Create a sub-account in an account."""
    from relaybox.accounts import service

    async def work(s: AsyncSession) -> Any:
        sub = await service.create_sub_account(s, account_id, name)
        return {"id": sub.id, "account_id": sub.account_id, "name": sub.name}

    _emit(_run(work))


@subaccounts.command("list")
def subaccounts_list(account_id: str) -> None:
    """List an account's sub-accounts."""
    from sqlalchemy import select

    from relaybox.accounts.models import SubAccount

    async def work(s: AsyncSession) -> Any:
        rows = (
            await s.execute(
                select(SubAccount)
                .where(SubAccount.account_id == account_id)
                .order_by(SubAccount.id)
            )
        ).scalars()
        return [{"id": r.id, "name": r.name} for r in rows]

    _emit(_run(work))


@projects.command("create")
def projects_create(sub_account_id: str, name: str) -> None:
    """Create a project in a sub-account."""
    from relaybox.accounts import service
    from relaybox.accounts.models import SubAccount

    async def work(s: AsyncSession) -> Any:
        sub = await s.get(SubAccount, sub_account_id)
        if sub is None:
            from relaybox.errors import NotFound

            raise NotFound("Sub-account not found.")
        p = await service.create_project(s, sub.account_id, sub.id, name)
        return {"id": p.id, "sub_account_id": p.sub_account_id, "name": p.name}

    _emit(_run(work))


@projects.command("list")
def projects_list(account_id: str) -> None:
    """List an account's projects."""
    from sqlalchemy import select

    from relaybox.accounts.models import Project

    async def work(s: AsyncSession) -> Any:
        rows = (
            await s.execute(
                select(Project).where(Project.account_id == account_id).order_by(Project.id)
            )
        ).scalars()
        return [{"id": r.id, "sub_account_id": r.sub_account_id, "name": r.name} for r in rows]

    _emit(_run(work))


@keys.command("create")
def keys_create(
    account_id: Annotated[str | None, typer.Argument(help="Account (omit with --operator)")] = None,
    scope: Annotated[str, typer.Option(help="read | deploy | admin")] = "admin",
    mode: Annotated[str, typer.Option(help="live | test")] = "test",
    name: str = "",
    sub_account: Annotated[str | None, typer.Option(help="Restrict to a sub-account")] = None,
    project: Annotated[str | None, typer.Option(help="Restrict to a project")] = None,
    allow_ip: Annotated[list[str] | None, typer.Option(help="Allowed CIDR (repeat)")] = None,
    expires_in: Annotated[int | None, typer.Option(help="Seconds until expiry")] = None,
    rate_limit: Annotated[int | None, typer.Option(help="Requests per minute")] = None,
    operator: Annotated[bool, typer.Option(help="An operator key (manages accounts)")] = False,
) -> None:
    """Create an API key and print its secret (shown once)."""
    from relaybox.accounts import service

    if operator:
        account_id, scope = None, "operator"
    elif account_id is None:
        typer.echo("error: an account id is required (or --operator)", err=True)
        raise typer.Exit(2)

    async def work(s: AsyncSession) -> Any:
        key, token = await service.create_key(
            s,
            account_id=account_id,
            scope=scope,
            mode=mode,
            name=name,
            sub_account_id=sub_account,
            project_id=project,
            allowed_cidrs=allow_ip,
            rate_limit_per_minute=rate_limit,
            expires_at=clock.now() + timedelta(seconds=expires_in) if expires_in else None,
        )
        return {
            "id": key.id,
            "scope": key.scope,
            "mode": key.mode,
            "secret": token,
            "basic": f"{key.id}:{token}",
        }

    _emit(_run(work))


@keys.command("revoke")
def keys_revoke(key_id: str) -> None:
    """Revoke a key now."""
    from relaybox.accounts import service
    from relaybox.accounts.models import ApiKey

    async def work(s: AsyncSession) -> Any:
        key = await s.get(ApiKey, key_id)
        if key is None:
            from relaybox.errors import NotFound

            raise NotFound("Key not found.")
        await service.revoke_key(s, key)
        return {"id": key.id, "revoked_at": key.revoked_at}

    _emit(_run(work))


@keys.command("rotate")
def keys_rotate(key_id: str, grace_seconds: int = 86400) -> None:
    """Rotate a key: a new secret now, the old one valid for a grace period."""
    from relaybox.accounts import service
    from relaybox.accounts.models import ApiKey

    async def work(s: AsyncSession) -> Any:
        key = await s.get(ApiKey, key_id)
        if key is None:
            from relaybox.errors import NotFound

            raise NotFound("Key not found.")
        new, token = await service.rotate_key(s, key, grace_seconds)
        return {"id": new.id, "secret": token, "old_key_expires_at": key.expires_at}

    _emit(_run(work))


# -- numbers ------------------------------------------------------------------------------------

STOCK_BATCH = 500


@numbers.command("load-stock")
def numbers_load_stock(
    path: Annotated[Path, typer.Argument(help="CSV with a header line", exists=True)],
    progress: Annotated[bool, typer.Option(help="Show a progress bar")] = True,
) -> None:
    """Add purchasable numbers from a CSV file (see docs/numbers.md for the columns).

    Numbers already in stock are skipped; invalid lines are reported with their line number.
    """
    from rich.progress import Progress

    from relaybox.numbers import stock
    from relaybox.storage.database import Database

    try:
        text = path.read_text(encoding="utf-8-sig")
        total, records = stock.parse_csv(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = _settings()
    summary: dict[str, Any] = {"added": 0, "already_in_stock": 0, "invalid": 0, "errors": []}

    async def load() -> None:
        db = Database(settings.resolved_database_url)
        batch: list[stock.StockRow] = []

        async def flush() -> None:
            rows = list(batch)
            batch.clear()

            async def work(s: AsyncSession) -> int:
                return await stock.insert_rows(s, rows, source="csv")

            added = await db.write(work)
            summary["added"] += added
            summary["already_in_stock"] += len(rows) - added

        try:
            with Progress(disable=not progress, transient=True) as bar:
                task = bar.add_task("loading stock", total=total)
                for line, row in records:
                    if isinstance(row, str):
                        summary["invalid"] += 1
                        if len(summary["errors"]) < 50:
                            summary["errors"].append({"line": line, "error": row})
                    else:
                        batch.append(row)
                        if len(batch) >= STOCK_BATCH:
                            await flush()
                    bar.advance(task)
                if batch:
                    await flush()
        finally:
            await db.close()

    asyncio.run(load())
    _emit(summary)


# -- carriers -----------------------------------------------------------------------------------


def _box() -> Any:
    from relaybox.crypto import SecretBox, load_server_secret

    settings = _settings()
    return SecretBox(load_server_secret(settings.secret_key, settings.data_dir))


def _smpp_view(config: Any) -> dict[str, Any]:
    return {
        "name": config.name,
        "host": config.host,
        "port": config.port,
        "system_id": config.system_id,
        **config.options(),
    }


@smpp.command("add")
def smpp_add(
    name: Annotated[str, typer.Argument(help="A name for this connection")],
    host: Annotated[str, typer.Option(help="SMSC host")],
    port: Annotated[int, typer.Option(help="SMSC port")] = 2775,
    system_id: Annotated[str, typer.Option(help="Bind system_id")] = "relaybox",
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, envvar="RELAYBOX_SMPP_PASSWORD", help="Bind password"
        ),
    ] = "",
    system_type: Annotated[str, typer.Option(help="Bind system_type")] = "",
    bind_mode: Annotated[
        str, typer.Option(help="transceiver | transmitter+receiver")
    ] = "transceiver",
    sessions: Annotated[int, typer.Option(help="Binds (pairs in transmitter+receiver mode)")] = 1,
    window: Annotated[int, typer.Option(help="Submits in flight per bind")] = 64,
    tps: Annotated[
        float, typer.Option(help="Submits per second for the connection; 0 = no cap")
    ] = 0,
    gsm7: Annotated[str, typer.Option(help="GSM-7 on the wire: unpacked | packed")] = "unpacked",
    concat: Annotated[str, typer.Option(help="Long messages: udh | sar")] = "udh",
    validity: Annotated[int | None, typer.Option(help="Cap on validity, seconds")] = None,
    prefix: Annotated[
        list[str] | None, typer.Option(help="Destination prefix this connection carries (repeat)")
    ] = None,
    priority: Annotated[int, typer.Option(help="Lower is preferred among equal prefixes")] = 100,
    submit_ids: Annotated[
        str, typer.Option(help="Ids in submit_sm_resp: text | hex | decimal")
    ] = "text",
    receipt_ids: Annotated[
        str, typer.Option(help="Ids in receipts: text | hex | decimal")
    ] = "text",
    response_timeout: Annotated[
        float, typer.Option(help="Seconds to wait for submit_sm_resp")
    ] = 10,
) -> None:
    """Add an SMPP connection. The password is stored encrypted with the server key."""
    from relaybox.carriers import connections
    from relaybox.carriers.smpp.config import SmppConfig, normalize_prefix

    try:
        config = SmppConfig(
            name=name,
            host=host,
            port=port,
            system_id=system_id,
            password=password,
            system_type=system_type,
            bind_mode=bind_mode,  # type: ignore[arg-type]
            sessions=sessions,
            window=window,
            tps=tps,
            gsm7=gsm7,  # type: ignore[arg-type]
            concat=concat,  # type: ignore[arg-type]
            validity_seconds=validity,
            prefixes=tuple(normalize_prefix(p) for p in prefix or ()),
            priority=priority,
            submit_ids=submit_ids,  # type: ignore[arg-type]
            receipt_ids=receipt_ids,  # type: ignore[arg-type]
            response_timeout=response_timeout,
        )
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    box = _box()

    async def work(s: AsyncSession) -> Any:
        row = await connections.add_smpp(s, box, config)
        return {"id": row.id, **_smpp_view(config)}

    _emit(_run(work))


@smpp.command("list")
def smpp_list() -> None:
    """List SMPP connections (passwords are never shown)."""
    from relaybox.carriers import connections

    box = _box()

    async def work(s: AsyncSession) -> Any:
        rows = await connections.list_rows(s)
        return [{"id": r.id, **_smpp_view(connections.to_config(r, box))} for r in rows]

    _emit(_run(work))


@smpp.command("remove")
def smpp_remove(name: str) -> None:
    """Remove an SMPP connection."""
    from relaybox.carriers import connections

    async def work(s: AsyncSession) -> Any:
        await connections.remove(s, name)
        return {"removed": name}

    _emit(_run(work))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
