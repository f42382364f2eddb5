"""Jasmin 0.11.0 in its own virtualenv, built once and reused.

Jasmin pins Twisted, cryptography and friends at versions that clash with relaybox's, so it
never goes into relaybox's venv. The venv lives outside the tracked files (default
``~/.cache/relaybox/jasmin-0.11.0``, or ``RELAYBOX_JASMIN_VENV``) and carries a stamp holding
the hash of ``requirements.lock``: a venv whose stamp matches is complete and reused; anything
else (half-built by an interrupted run, an older lock) is rebuilt.

    python -m tests.peers.jasmin.install      # build it ahead of time, prints its path
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

JASMIN_VERSION = "0.11.0"
LOCK = Path(__file__).with_name("requirements.lock")
STAMP = ".relaybox-complete"


def venv_dir() -> Path:
    override = os.environ.get("RELAYBOX_JASMIN_VENV")
    if override:
        return Path(override)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "relaybox" / f"jasmin-{JASMIN_VERSION}"


def _lock_hash() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def ensure_venv(log: Path | None = None) -> Path:
    """The venv's path, building it first unless a complete one is there (about 40 s)."""
    target = venv_dir()
    stamp = target / STAMP
    if stamp.exists() and stamp.read_text().strip() == _lock_hash():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Two test runs starting at once must not build the same venv together.
    with open(target.parent / f".{target.name}.lock", "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        if stamp.exists() and stamp.read_text().strip() == _lock_hash():
            return target
        shutil.rmtree(target, ignore_errors=True)
        out = log.open("ab") if log else subprocess.DEVNULL
        try:
            subprocess.run([_python311(), "-m", "venv", str(target)], check=True, stdout=out)
            subprocess.run(
                [str(target / "bin" / "pip"), "install", "-q", "-r", str(LOCK)],
                check=True,
                stdout=out,
                stderr=subprocess.STDOUT if log else None,
            )
        finally:
            if log:
                out.close()  # type: ignore[union-attr]
        version = subprocess.run(
            [str(target / "bin" / "python"), "-c", "import jasmin; print(jasmin.get_release())"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if version != JASMIN_VERSION:
            raise RuntimeError(f"{target} has jasmin {version}, want {JASMIN_VERSION}")
        stamp.write_text(_lock_hash() + "\n")
    return target


def _python311() -> str:
    """Jasmin's lock was resolved on Python 3.11; the running interpreter is one."""
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    if found is None:
        raise RuntimeError("Jasmin's venv needs python3.11")
    return found


if __name__ == "__main__":
    print(ensure_venv())
