"""The machine's RabbitMQ and Redis, which Jasmin needs, shared safely between runs.

Jasmin keeps its queues in RabbitMQ and its delivery-receipt map in Redis. Rather than start
private brokers (slow: RabbitMQ takes ~10 s), each harness borrows the machine's: a RabbitMQ
vhost of its own (created with rabbitmqctl, deleted afterwards) and a Redis database number of
its own (claimed with an owner key, flushed afterwards). Leftovers of another run therefore
cannot feed stale queued messages or receipt mappings into this one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess

REDIS = ("127.0.0.1", 6379)
AMQP = ("127.0.0.1", 5672)
VHOST_PREFIX = "relaybox-jasmin-"
OWNER_KEY = "relaybox:jasmin:owner"


def _answers(address: tuple[str, int], hello: bytes, check: bytes) -> bool:
    try:
        with socket.create_connection(address, timeout=2) as sock:
            sock.sendall(hello)
            return sock.recv(16).startswith(check)
    except OSError:
        return False


def missing() -> list[str]:
    """What Jasmin needs and this machine does not answer on (empty when all is there)."""
    out = []
    if not _answers(AMQP, b"AMQP\x00\x00\x09\x01", b"\x01"):  # connection.start method frame
        out.append(f"RabbitMQ (AMQP 0-9-1 on {AMQP[0]}:{AMQP[1]})")
    if not _answers(REDIS, b"PING\r\n", b"+PONG"):
        out.append(f"Redis ({REDIS[0]}:{REDIS[1]})")
    return out


def _redis(db: int, *commands: list[str]) -> list[bytes]:
    """Run commands after SELECT db on one connection; each reply as bytes (b"" for nil)."""
    wire = b""
    for cmd in [["SELECT", str(db)], *commands]:
        wire += f"*{len(cmd)}\r\n".encode()
        for arg in cmd:
            wire += f"${len(arg.encode())}\r\n{arg}\r\n".encode()
    replies = []
    with socket.create_connection(REDIS, timeout=5) as sock, sock.makefile("rb") as f:
        sock.sendall(wire)
        for _ in range(len(commands) + 1):
            line = f.readline().rstrip(b"\r\n")
            if line.startswith(b"-"):
                raise RuntimeError(f"Redis: {line.decode()}")
            if line.startswith(b"$"):
                size = int(line[1:])
                line = b"" if size < 0 else f.read(size + 2)[:size]
            replies.append(line)
    return replies[1:]  # drop SELECT's +OK


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def claim_redis_db() -> int:
    """A Redis database (1-15) this process owns: empty, or left behind by a dead harness."""
    me = str(os.getpid())
    for db in range(1, 16):
        set_reply, size = _redis(db, ["SET", OWNER_KEY, me, "NX"], ["DBSIZE"])
        if set_reply == b"+OK":
            if size == b":1":
                return db
            _redis(db, ["DEL", OWNER_KEY])  # someone else's data without our key: not ours
            continue
        (owner,) = _redis(db, ["GET", OWNER_KEY])
        if owner.isdigit() and not _alive(int(owner)):
            _redis(db, ["FLUSHDB"], ["SET", OWNER_KEY, me])
            return db
    raise RuntimeError("no free Redis database among 1-15 for Jasmin")


def release_redis_db(db: int) -> None:
    _redis(db, ["FLUSHDB"])


def _rabbitmqctl(*args: str) -> str:
    exe = shutil.which("rabbitmqctl")
    if exe is None:
        raise FileNotFoundError("rabbitmqctl")
    return subprocess.run(
        [exe, "-q", *args], capture_output=True, text=True, check=True, timeout=60
    ).stdout


def create_vhost(user: str = "guest") -> str:
    """A fresh vhost for this run ('/' when rabbitmqctl is unavailable, e.g. a remote broker).

    Also deletes vhosts that harnesses killed without teardown left behind."""
    try:
        for name in _rabbitmqctl("list_vhosts").split():
            if name.startswith(VHOST_PREFIX):
                pid = name.removeprefix(VHOST_PREFIX).split("-")[0]
                if pid.isdigit() and not _alive(int(pid)):
                    _rabbitmqctl("delete_vhost", name)
        vhost = f"{VHOST_PREFIX}{os.getpid()}-{secrets.token_hex(3)}"
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        return vhost
    except (OSError, subprocess.SubprocessError):
        return "/"


def delete_vhost(vhost: str) -> None:
    if vhost != "/":
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            _rabbitmqctl("delete_vhost", vhost)
