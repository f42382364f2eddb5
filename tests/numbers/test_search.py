"""The stock: the simulator's valid numbers, search filters and pages, CSV loading."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from relaybox import ids
from relaybox.carriers.simulator import stock as simulator
from relaybox.cli import app
from relaybox.domain import inventory
from relaybox.errors import ValidationFailed
from tests.support import Tenant

COUNTRIES = ("US", "CA", "GB", "DE", "FR", "NL", "IN", "BR", "AU")
T = phonenumbers.PhoneNumberType
EXPECTED = {
    "local": {T.FIXED_LINE, T.FIXED_LINE_OR_MOBILE},
    "mobile": {T.MOBILE},
    "toll_free": {T.TOLL_FREE},
}


@pytest.mark.parametrize(("country", "kind"), simulator.supplied())
def test_the_simulator_stocks_valid_numbers(country: str, kind: str) -> None:
    made = simulator.generate(country, kind, 20)
    assert len(made) == len(set(made)) == 20
    for e164 in made:
        if kind == "short_code":
            assert e164.isdigit() and 5 <= len(e164) <= 6
            continue
        number = phonenumbers.parse(e164, None)
        assert phonenumbers.is_valid_number(number), e164
        assert phonenumbers.number_type(number) in EXPECTED[kind], e164
        assert phonenumbers.is_valid_number_for_region(number, country), e164
        assert not simulator.is_fictional(e164)


def test_every_required_country_has_local_or_mobile_and_toll_free() -> None:
    supplied = set(simulator.supplied())
    for country in COUNTRIES:
        assert (country, "toll_free") in supplied
        assert (country, "local") in supplied or (country, "mobile") in supplied


@given(st.text(alphabet="0123456789*%", min_size=1, max_size=12))
def test_contains_patterns_become_like_patterns(pattern: str) -> None:
    like = inventory.contains_to_like(pattern)
    assert like.startswith("%") and like.endswith("%")
    assert "*" not in like and len(like) == len(pattern) + 2


def test_filter_rules() -> None:
    f = inventory.make_filters(countries=["us,ca"], type="toll-free", capabilities=["sms,voice"])
    assert (f.countries, f.type, f.capabilities) == (["US", "CA"], "toll_free", ["sms", "voice"])
    assert inventory.make_filters(countries=["US"], area_code="212").prefix == "+1212"
    assert inventory.make_filters(countries=["US"], prefix=" 1212").prefix == "+1212"
    for bad in (
        {"prefix": "+1212"},  # needs a country
        {"countries": ["GB"], "prefix": "+1212"},  # not in that country
        {"countries": ["XX"]},
        {"type": "landline"},
        {"capabilities": ["fax"]},
        {"contains": "12a"},
        {"area_code": "212"},
    ):
        with pytest.raises(ValidationFailed):
            inventory.make_filters(**bad)


async def test_native_catalog_filters_and_pages(client: Any, tenant: Tenant) -> None:
    h = tenant.headers("read")
    r = await client.get("/v1/numbers/catalog?country=US&type=local", headers=h)
    assert r.status_code == 200, r.text
    items = r.json()["data"]
    assert len(items) == 20
    assert {(x["country"], x["type"], x["monthly_price"], x["currency"]) for x in items} == {
        ("US", "local", "1.15", "USD")
    }
    assert [x["number"] for x in items] == sorted(x["number"] for x in items)

    seen: list[str] = []
    token = None
    while True:
        q = "/v1/numbers/catalog?country=DE&type=mobile&limit=7"
        page = (await client.get(q + (f"&page_token={token}" if token else ""), headers=h)).json()
        seen += [x["number"] for x in page["data"]]
        token = page["next_page_token"]
        if token is None:
            break
    assert len(seen) == len(set(seen)) >= simulator_target()
    assert seen == sorted(seen)

    r = await client.get("/v1/numbers/catalog?country=US&area_code=415", headers=h)
    assert r.json()["data"] and all(x["number"].startswith("+1415") for x in r.json()["data"])
    some = items[3]["number"]
    pattern = some[-7:-4] + "*" + some[-3:]
    r = await client.get(f"/v1/numbers/catalog?country=US&contains={pattern}", headers=h)
    assert some in {x["number"] for x in r.json()["data"]}
    r = await client.get("/v1/numbers/catalog?country=GB&capabilities=mms", headers=h)
    assert r.json()["data"] == []  # UK numbers here do no MMS
    r = await client.get("/v1/numbers/catalog?country=GB&capabilities=sms", headers=h)
    assert {x["type"] for x in r.json()["data"]} == {"mobile"}
    r = await client.get("/v1/numbers/catalog?country=US&type=short_code&limit=3", headers=h)
    assert all(x["number"].isdigit() for x in r.json()["data"])
    r = await client.get("/v1/numbers/catalog?prefix=%2B1212", headers=h)
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "prefix"
    r = await client.get("/v1/numbers/catalog?country=US&contains=12a", headers=h)
    assert r.status_code == 422


def simulator_target() -> int:
    from relaybox.numbers.stock import TARGET

    return TARGET


async def test_bird_search(client: Any, tenant: Tenant) -> None:
    h = tenant.access_key("read")
    ws = f"/workspaces/{ids.as_uuid(tenant.sub_account_id)}"
    org = f"/organizations/{ids.as_uuid(tenant.account_id)}"
    r = await client.get(f"{ws}/numbers-available?country=US&type=local&limit=1", headers=h)
    assert r.status_code == 200, r.text
    (item,) = r.json()["results"]
    assert item["numberString"].startswith("+1") and item["type"] == "local"
    assert item["backOrderRequired"] is False
    r = await client.get(
        f"{org}/numbers-stock-items?countryCodes=US&countryCodes=NL&limit=99", headers=h
    )
    countries = {x["countryCode"] for x in r.json()["results"]}
    assert countries <= {"US", "NL"} and len(r.json()["results"]) == 99
    assert r.json()["nextPageToken"]
    r = await client.get(f"{org}/numbers-stock-items?countryCodes=NL&type=toll-free", headers=h)
    assert {x["type"] for x in r.json()["results"]} == {"toll-free"}
    # an area code nobody stocked yet: the simulator makes valid numbers for it
    r = await client.get(f"{org}/numbers-stock-items?countryCodes=US&prefix=%2B1907", headers=h)
    found = r.json()["results"]
    assert found and all(x["numberString"].startswith("+1907") for x in found)
    for bad in ("limit=100", "limit=0", "prefix=%2B1212", "countryCodes=US&prefix=%2B44"):
        r = await client.get(f"{org}/numbers-stock-items?{bad}", headers=h)
        assert r.status_code == 422, (bad, r.text)
        assert r.json()["code"] == "InvalidPayload"
    r = await client.get(f"/organizations/{ids.as_uuid(ids.new_id('acct'))}/numbers-stock-items")
    assert r.status_code == 401


async def stock_item(db_url: str, e164: str) -> Any:
    from relaybox.numbers.stock import by_number
    from relaybox.storage.database import Database

    db = Database(db_url)
    try:
        async with db.read() as s:
            return await by_number(s, e164)
    finally:
        await db.close()


def test_load_stock_from_csv(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAYBOX_DATABASE_URL", db_url)
    monkeypatch.setenv("RELAYBOX_DATA_DIR", str(tmp_path))
    gb, us_tf, nl = (
        simulator.generate("GB", "mobile", 1)[0],
        simulator.generate("US", "toll_free", 1)[0],
        simulator.generate("NL", "local", 1)[0],
    )
    path = tmp_path / "stock.csv"
    path.write_text(
        "number,country,type,capabilities,monthly_price,currency,carrier\n"
        f"{gb},,,sms;voice,2.50,EUR,Vodafone\n"
        f"{us_tf},US,toll_free,,,,\n"
        f"{nl},,,,,,\n"
        f"{gb},,,,,,\n"
        "+15551230000,,,,,,\n"
        f"{us_tf},GB,,,,,\n"
        "55555,US,short_code,sms,500,,\n"
        f"{nl},,mobile,,,,\n"
    )
    runner = CliRunner()
    result = runner.invoke(app, ["numbers", "load-stock", str(path), "--no-progress"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["added"], summary["already_in_stock"], summary["invalid"]) == (4, 1, 3)
    assert [e["line"] for e in summary["errors"]] == [6, 7, 9]
    assert "not a valid" in summary["errors"][0]["error"]
    result = runner.invoke(app, ["numbers", "load-stock", str(path), "--no-progress"])
    assert json.loads(result.output)["added"] == 0
    item = asyncio.run(stock_item(db_url, gb))
    assert (item.monthly_price, item.currency, item.carrier, item.source) == (
        2_500_000,
        "EUR",
        "Vodafone",
        "csv",
    )
    assert (item.country, item.type, item.capabilities) == ("GB", "mobile", ["sms", "voice"])
    bad = tmp_path / "bad.csv"
    bad.write_text("phone\n+14155552671\n")
    result = runner.invoke(app, ["numbers", "load-stock", str(bad)])
    assert result.exit_code == 2 and "header" in result.output
