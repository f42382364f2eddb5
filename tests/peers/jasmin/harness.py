"""One jasmind (Jasmin 0.11.0), configured as an SMPP gateway in front of an upstream SMSC.

    ESME (relaybox) --bind/submit_sm--> Jasmin SMPP server --smppc connector--> upstream SMSC
                    <--deliver_sm (receipts, MO)--          <--deliver_sm--

Everything is private to the instance: a temp dir with the config, logs and a copy of
``jasmind.py`` whose global lock (hard-coded ``/tmp/jasmind``, one jasmind per host) points
into it; free loopback ports; its own RabbitMQ vhost and Redis database (see infra.py). It runs
in a clean environment, because Jasmin lets ``SECTION_OPTION`` variables override its config
file, in a process group of its own, which ``stop`` signals as a whole.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.peers.jasmin import infra
from tests.peers.jasmin.install import ensure_venv
from tests.peers.jasmin.jcli import JCli

# Opt-in, not stock Jasmin: TCP_NODELAY on every outgoing Twisted socket (AMQP, Redis, SMPP).
# Stock Jasmin waits on Nagle + delayed ACK for each RabbitMQ delivery (~30 submits/s).
NODELAY_HOOK = """\
import socket
from twisted.internet import tcp
_create = tcp.BaseClient.createInternetSocket
def _create_nodelay(self):
    s = _create(self)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
tcp.BaseClient.createInternetSocket = _create_nodelay
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Upstream:
    """The SMSC Jasmin's client connector binds to."""

    host: str
    port: int
    system_id: str
    password: str


class Jasmin:
    def __init__(
        self,
        upstream: Upstream,
        *,
        system_id: str = "relaybox",
        password: str = "relaypw1",
        tcp_nodelay: bool = False,
        workdir: Path | None = None,
    ) -> None:
        self.upstream = upstream
        self.system_id = system_id  # the Jasmin user relaybox binds as (and the HTTP API user)
        self.password = password  # SMPP passwords are at most 8 characters
        self.tcp_nodelay = tcp_nodelay
        self.dir = workdir or Path(tempfile.mkdtemp(prefix="relaybox-jasmin-"))
        self.log_dir = self.dir / "log"
        self.smpp_port = free_port()
        self.http_port = free_port()
        self.jcli_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.vhost: str | None = None
        self.redis_db: int | None = None
        self.jcli_transcript: list[str] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 90) -> Jasmin:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        venv = ensure_venv(self.log_dir / "pip.log")
        self.vhost = infra.create_vhost()
        self.redis_db = infra.claim_redis_db()
        config = self._write_config(venv)
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(self.dir),
            "LANG": "C.UTF-8",
            "ROOT_PATH": str(self.dir),
            "CONFIG_PATH": str(self.dir / "etc") + "/",
            "LOG_PATH": str(self.log_dir),
        }
        if self.tcp_nodelay:
            (self.dir / "hook").mkdir(exist_ok=True)
            (self.dir / "hook" / "sitecustomize.py").write_text(NODELAY_HOOK)
            env["PYTHONPATH"] = str(self.dir / "hook")
        with (self.log_dir / "jasmind.out").open("ab") as out:
            self.proc = subprocess.Popen(
                [
                    str(venv / "bin" / "python"),
                    str(self.dir / "jasmind.py"),
                    "--config",
                    str(config),
                    "--enable-dlr-lookup",
                    "--enable-dlr-thrower",
                ],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                cwd=self.dir,
            )
        try:
            self._wait_started(timeout)
            self._configure()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self.vhost is not None:
            infra.delete_vhost(self.vhost)
            self.vhost = None
        if self.redis_db is not None:
            infra.release_redis_db(self.redis_db)
            self.redis_db = None

    def __enter__(self) -> Jasmin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ set-up steps
    def _write_config(self, venv: Path) -> Path:
        etc = self.dir / "etc"
        (etc / "store").mkdir(parents=True, exist_ok=True)
        site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
        # The wheel lacks the AMQP spec Jasmin loads; txAMQP ships the same file.
        spec = site / "txamqp" / "specs" / "standard" / "amqp0-9-1.stripped.xml"
        config = etc / "jasmin.cfg"
        config.write_text(
            f"""\
[smpp-server]
id = smpps_01
bind = 127.0.0.1
port = {self.smpp_port}

[smpp-server-pb]
bind = 127.0.0.1
port = {free_port()}

[client-management]
bind = 127.0.0.1
port = {free_port()}

[router]
bind = 127.0.0.1
port = {free_port()}

[http-api]
bind = 127.0.0.1
port = {self.http_port}

[jcli]
bind = 127.0.0.1
port = {self.jcli_port}
authentication = False

[amqp-broker]
host = {infra.AMQP[0]}
port = {infra.AMQP[1]}
username = guest
password = guest
vhost = {self.vhost}
spec = {spec}

[redis-client]
host = {infra.REDIS[0]}
port = {infra.REDIS[1]}
dbid = {self.redis_db}
poolsize = 10
"""
        )
        source = (venv / "bin" / "jasmind.py").read_text()
        patched = source.replace('FileLock("/tmp/jasmind")', f'FileLock("{self.dir}/jasmind")')
        if patched == source:
            raise RuntimeError("could not move jasmind's lock: jasmind.py changed")
        (self.dir / "jasmind.py").write_text(patched)
        return config

    def _wait_started(self, timeout: float) -> None:
        out = self.log_dir / "jasmind.out"
        deadline = time.monotonic() + timeout
        while b"jCli Started" not in out.read_bytes():
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"jasmind exited during start-up\n{self.logs()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"jasmind not ready after {timeout:.0f}s\n{self.logs()}")
            time.sleep(0.2)

    def _configure(self) -> None:
        """Group, user, upstream connector, default MT and MO routes; start; persist."""
        cli = JCli("127.0.0.1", self.jcli_port)
        try:
            cli.add("group -a", {"gid": "relaybox"})
            cli.add(
                "user -a",
                {
                    "username": self.system_id,
                    "password": self.password,
                    "gid": "relaybox",
                    "uid": self.system_id,
                },
            )
            up = self.upstream
            cli.add(
                "smppccm -a",
                {
                    "cid": "upstream",
                    "host": up.host,
                    "port": str(up.port),
                    "username": up.system_id,
                    "password": up.password,
                    "bind": "transceiver",
                    "submit_throughput": "0",  # no rate limit (the default is 1/s)
                },
            )
            cli.add(
                "mtrouter -a",
                {"type": "defaultroute", "connector": "smppc(upstream)", "rate": "0.00"},
            )
            cli.add(
                "morouter -a", {"type": "defaultroute", "connector": f"smpps({self.system_id})"}
            )
            cli.expect("smppccm -1 upstream", "Successfully started")
            cli.cmd("persist")
        finally:
            self.jcli_transcript = cli.transcript
            cli.close()

    # ------------------------------------------------------------------ diagnostics
    def logs(self, lines: int = 40) -> str:
        """The tail of every log, for a failing test's report."""
        parts = []
        for path in sorted(self.log_dir.glob("*")):
            if path.is_file() and path.name != "pip.log":
                tail = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"---- {path}\n" + "\n".join(tail))
        if self.jcli_transcript:
            parts.append("---- jCli\n" + "\n".join(self.jcli_transcript[-20:]))
        return "\n".join(parts)
