"""The relaybox command: migrate, demo credentials, admin."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from relaybox.cli import app
from relaybox.demo import ensure_demo
from relaybox.storage.database import Database

runner = CliRunner()


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RELAYBOX_DATABASE_URL", db_url)
    monkeypatch.setenv("RELAYBOX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAYBOX_SECRET_KEY", "cli-test")
    return tmp_path


def cli(*args: str) -> object:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return json.loads(result.output) if result.output.strip().startswith(("{", "[")) else None


def test_admin_commands(env: Path) -> None:
    account = cli("admin", "accounts", "create", "Acme", "--geo", "us")
    assert isinstance(account, dict) and account["status"] == "active"
    sub = cli("admin", "subaccounts", "create", account["id"], "EU")
    project = cli("admin", "projects", "create", sub["id"], "web")  # type: ignore[index]
    key = cli(
        "admin",
        "keys",
        "create",
        account["id"],
        "--scope",
        "deploy",
        "--mode",
        "live",
        "--project",
        project["id"],
    )  # type: ignore[index]
    assert key["secret"].startswith("sk_live_")  # type: ignore[index]
    assert key["basic"] == f"{key['id']}:{key['secret']}"  # type: ignore[index]
    listed = cli("admin", "accounts", "list")
    assert [a["id"] for a in listed] == [account["id"]]  # type: ignore[union-attr]
    assert cli("admin", "accounts", "suspend", account["id"])["status"] == "suspended"  # type: ignore[index]
    rotated = cli("admin", "keys", "rotate", key["id"], "--grace-seconds", "60")  # type: ignore[index]
    assert rotated["secret"] != key["secret"]  # type: ignore[index]
    assert cli("admin", "keys", "revoke", key["id"])["revoked_at"]  # type: ignore[index]
    op = cli("admin", "keys", "create", "--operator")
    assert op["scope"] == "operator"  # type: ignore[index]
    result = runner.invoke(app, ["admin", "keys", "revoke", "key_missing"])
    assert result.exit_code == 1 and "not found" in result.output.lower()


async def test_demo_is_created_once_and_file_is_private(db_url: str, tmp_path: Path) -> None:
    db = Database(db_url)
    try:
        creds = await ensure_demo(db, tmp_path)
        assert creds is not None
        again = await ensure_demo(db, tmp_path)
        assert again is None
    finally:
        await db.close()
    env_file = tmp_path / "demo.env"
    mode = stat.S_IMODE(os.stat(env_file).st_mode)
    assert mode == 0o600
    text = env_file.read_text()
    for name in (
        "RELAYBOX_DEMO_PROJECT",
        "RELAYBOX_TEST_KEY=sk_test_",
        "RELAYBOX_LIVE_KEY=sk_live_",
        "RELAYBOX_TEST_BASIC=key_",
        "RELAYBOX_DEMO_SUBACCOUNT",
        "RELAYBOX_DEMO_ACCOUNT",
    ):
        assert f"export {name}" in text


def test_migrate_command_on_a_fresh_database(tmp_path: Path) -> None:
    env = {**os.environ, "RELAYBOX_DATA_DIR": str(tmp_path / "var"), "RELAYBOX_SECRET_KEY": "x"}
    env.pop("RELAYBOX_DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-m", "relaybox.cli", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "var" / "relaybox.db").exists()


def test_simulator_handset_texts_a_project(env: Path) -> None:
    account = cli("admin", "accounts", "create", "Acme")
    sub = cli("admin", "subaccounts", "create", account["id"], "EU")  # type: ignore[index]
    project = cli("admin", "projects", "create", sub["id"], "web")  # type: ignore[index]
    where = ["--account", account["id"], "--project", project["id"]]  # type: ignore[index]
    hello = cli("simulator", "send", "+15551230000", "+15005550000", "Hello there", *where)
    assert isinstance(hello, dict)
    assert (hello["from"], hello["to"], hello["body"]) == (
        "+15551230000",
        "+15005550000",
        "Hello there",
    )
    assert hello["project_id"] == project["id"]  # type: ignore[index]
    stop = cli("simulator", "send", "+15551230000", "+15005550000", " stop ", *where)
    assert stop["keyword"] == "opt_out"  # type: ignore[index]
    seen = cli("simulator", "inbox", "+15551230000", "--account", account["id"])  # type: ignore[index]
    sent = [m["body"] for m in seen if m["direction"] == "sent"]  # type: ignore[union-attr]
    assert sent == [" stop ", "Hello there"]
    orphan = runner.invoke(app, ["simulator", "send", "+15551230000", "+15005550000", "hi"])
    assert orphan.exit_code == 1 and "--account" in orphan.output
    listed = runner.invoke(app, ["simulator", "outcomes"])
    assert "+15005550001" in listed.output and "undelivered" in listed.output
