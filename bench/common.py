"""Shared benchmark plumbing: free ports, server processes, wrk runs, result lines."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def need_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("the benchmarks drive load with wrk: apt-get install wrk")
    return wrk


def wait_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.proc = subprocess.Popen(
            args,
            env=env,
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(ROOT),
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def cpu_seconds(self) -> float:
        try:
            fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError):
            return 0.0


_RESULT = re.compile(r"RESULT (.*)")


def wrk(
    url: str, script: Path, seconds: int, connections: int, env: dict[str, str]
) -> dict[str, float]:
    out = subprocess.run(
        [need_wrk(), "-t2", f"-c{connections}", f"-d{seconds}s", "-s", str(script), url],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = _RESULT.search(out)
    if match is None:
        raise RuntimeError(f"wrk printed no result:\n{out}")
    return {k: float(v) for k, v in (p.split("=") for p in match.group(1).split())}


def emit(name: str, result: dict[str, Any]) -> None:
    print(f"{name} " + " ".join(f"{k}={v}" for k, v in result.items()), flush=True)
    target = os.environ.get("RESULT_FILE")
    if target:
        with open(target, "a") as handle:
            handle.write(json.dumps({"bench": name, **result}) + "\n")


def server_env(
    database_url: str, work: Path, port: int, secret: str = "bench", **settings: str
) -> dict[str, str]:
    """The environment of a relaybox server under benchmark: its database, no demo account,
    quiet logs, rate limits out of the way. ``settings`` add RELAYBOX_* values by setting name
    (``carrier="smpp"`` is RELAYBOX_CARRIER)."""
    return {
        **os.environ,
        "RELAYBOX_DATABASE_URL": database_url,
        "RELAYBOX_DATA_DIR": str(work),
        "RELAYBOX_PORT": str(port),
        "RELAYBOX_DEMO": "false",
        "RELAYBOX_SECRET_KEY": secret,
        "RELAYBOX_ACCESS_LOG": "false",
        "RELAYBOX_LOG_LEVEL": os.environ.get("RELAYBOX_LOG_LEVEL", "WARNING"),
        "RELAYBOX_RATE_LIMIT_NATIVE_PER_MINUTE": "1000000000",
        **{f"RELAYBOX_{name.upper()}": value for name, value in settings.items()},
    }
