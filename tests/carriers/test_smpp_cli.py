"""`relaybox carriers smpp add|list|remove`: options stored, password encrypted at rest."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from relaybox.carriers.models import CarrierConnection
from relaybox.cli import app
from relaybox.crypto import SecretBox
from relaybox.storage.database import Database

runner = CliRunner()


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("RELAYBOX_DATABASE_URL", db_url)
    monkeypatch.setenv("RELAYBOX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("RELAYBOX_SECRET_KEY", "cli-test")
    return db_url


def cli(*args: str, code: int = 0) -> object:
    result = runner.invoke(app, ["carriers", "smpp", *args])
    assert result.exit_code == code, result.output
    return json.loads(result.output) if code == 0 else result.output


def test_add_list_remove(env: str) -> None:
    added = cli(
        "add",
        "uk",
        "--host",
        "127.0.0.1",
        "--port",
        "2775",
        "--system-id",
        "acme",
        "--password",
        "s3cret",
        "--bind-mode",
        "transmitter+receiver",
        "--sessions",
        "2",
        "--tps",
        "100",
        "--gsm7",
        "packed",
        "--concat",
        "sar",
        "--prefix",
        "+44",
        "--prefix",
        "353",
        "--validity",
        "3600",
        "--submit-ids",
        "hex",
        "--receipt-ids",
        "decimal",
    )
    assert isinstance(added, dict) and added["prefixes"] == ["44", "353"]
    assert "password" not in json.dumps(added) and "s3cret" not in json.dumps(added)
    listed = cli("list")
    assert isinstance(listed, list) and [c["name"] for c in listed] == ["uk"]
    assert listed[0]["bind_mode"] == "transmitter+receiver" and listed[0]["tps"] == 100

    async def stored() -> CarrierConnection:
        db = Database(env)
        try:
            async with db.read() as s:
                return (await s.execute(select(CarrierConnection))).scalar_one()
        finally:
            await db.close()

    row = asyncio.run(stored())
    assert "s3cret" not in row.password_encrypted
    assert SecretBox("cli-test").decrypt(row.password_encrypted) == "s3cret"

    assert "already exists" in str(cli("add", "uk", "--host", "h", "--password", "x", code=1))
    assert "password" in str(cli("add", "bad", "--host", "h", "--password", "x" * 9, code=2))
    assert cli("remove", "uk") == {"removed": "uk"}
    assert cli("list") == []
    assert "No smpp connection" in str(cli("remove", "uk", code=1))
