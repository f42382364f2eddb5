"""Accept benchmark: the native send endpoint against a bare FastAPI endpoint, same run.

    .venv/bin/python -m bench.accept [--seconds 15] [--connections 32] [--postgres URL]

Both are served by uvicorn (one process, same settings) on loopback and loaded by wrk with the
same request body; relaybox runs `relaybox serve --no-worker` on a fresh SQLite database (and on
PostgreSQL when --postgres is given) with a test key whose rate limit is out of the way. Prints
one line per target and the ratio to the bare endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from bench.common import PY, ROOT, Process, emit, free_port, server_env, wait_http, wrk

SCRIPT = ROOT / "bench" / "send.lua"


def bare(seconds: int, connections: int, work: Path) -> dict[str, float]:
    port = free_port()
    server = Process(
        [PY, "-m", "uvicorn", "bench.bare_app:app", "--port", str(port), "--log-level", "warning"],
        dict(os.environ),
        work / "bare.log",
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/docs")
        wrk(f"http://127.0.0.1:{port}", SCRIPT, 3, connections, {})  # warm-up
        return wrk(
            f"http://127.0.0.1:{port}",
            SCRIPT,
            seconds,
            connections,
            {"BENCH_KEY": "x", "BENCH_PROJECT": "prj_x"},
        )
    finally:
        server.stop()


async def _tenant(url: str) -> Any:
    from relaybox import migrate
    from relaybox.storage.database import Database
    from tests.support import make_tenant

    migrate.upgrade(url)
    db = Database(url)
    try:
        return await make_tenant(db, "Bench")
    finally:
        await db.close()


def relaybox(
    seconds: int,
    connections: int,
    work: Path,
    database_url: str,
    extra_env: dict[str, str] | None = None,
    worker: bool = False,
) -> dict[str, float]:
    tenant = asyncio.run(_tenant(database_url))
    port = free_port()
    env = {**server_env(database_url, work, port), **(extra_env or {})}
    args = [PY, "-m", "relaybox.cli", "serve", "--no-migrate"]
    if not worker:
        args.append("--no-worker")
    server = Process(args, env, work / "relaybox.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v1/ping")
        load = {"BENCH_KEY": tenant.token("deploy", "test"), "BENCH_PROJECT": tenant.project_id}
        wrk(f"http://127.0.0.1:{port}", SCRIPT, 3, connections, load)  # warm-up
        cpu = server.cpu_seconds()
        result = wrk(f"http://127.0.0.1:{port}", SCRIPT, seconds, connections, load)
        result["server_cpu_s"] = round(server.cpu_seconds() - cpu, 1)
        return result
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--postgres", default=os.environ.get("RELAYBOX_TEST_POSTGRES_URL"))
    parser.add_argument("--worker", action="store_true", help="run the job worker in-process too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="relaybox-accept-") as tmp:
        work = Path(tmp)
        base = bare(args.seconds, args.connections, work)
        emit("bare", base)
        targets = [("relaybox_sqlite", f"sqlite+aiosqlite:///{work / 'relaybox.db'}")]
        if args.postgres:
            targets.append(("relaybox_postgres", _fresh_pg(args.postgres)))
        for name, url in targets:
            result = relaybox(args.seconds, args.connections, work, url, worker=args.worker)
            result["ratio_to_bare"] = round(result["rps"] / base["rps"], 3)
            emit(name, result)
    print(json.dumps({"connections": args.connections, "seconds": args.seconds}))


def _fresh_pg(url: str) -> str:
    from relaybox.settings import normalize_database_url

    async def make() -> str:
        import asyncpg

        base = normalize_database_url(url).replace("+asyncpg", "")
        conn = await asyncpg.connect(base)
        await conn.execute('DROP DATABASE IF EXISTS "relaybox_bench" WITH (FORCE)')
        await conn.execute('CREATE DATABASE "relaybox_bench"')
        await conn.close()
        return base.rsplit("/", 1)[0] + "/relaybox_bench"

    return asyncio.run(make())


if __name__ == "__main__":
    main()
