"""Prices by destination: account override, else the operator's list price, else built-in.

Messaging prices every message with ``sms_price`` (micro-units per segment).
"""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock
from relaybox.domain.money import Money
from relaybox.errors import NotFound, ValidationFailed
from relaybox.rates import catalog
from relaybox.rates.models import AccountRate, ListRate

LIST, ACCOUNT = "list", "account"


@dataclass(frozen=True)
class Rate:
    country: str  # ISO 3166 alpha-2
    name: str
    sms_price: int  # micro-units per segment
    voice_price: int  # micro-units per minute
    currency: str
    route_label: str
    source: str  # list | account


def _builtin(country: str) -> Rate:
    entry = catalog.LIST.get(country)
    base = entry or catalog.REST_OF_WORLD
    return Rate(
        country,
        entry.name if entry else country,
        Money.parse(base.sms, catalog.CURRENCY).amount,
        Money.parse(base.voice, catalog.CURRENCY).amount,
        catalog.CURRENCY,
        base.route,
        LIST,
    )


def _name(country: str) -> str:
    entry = catalog.LIST.get(country)
    return entry.name if entry else country


def check_country(country: str) -> str:
    code = country.strip().upper()
    if len(code) != 2 or not code.isalpha() or not phonenumbers.country_code_for_region(code):
        raise ValidationFailed.field("country", f"{country[:8]!r} is not an ISO 3166 country")
    return code


def _from_row(row: ListRate | AccountRate, source: str) -> Rate:
    return Rate(
        row.country,
        _name(row.country),
        row.sms_price,
        row.voice_price,
        row.currency,
        row.route_label,
        source,
    )


async def list_rates(
    session: AsyncSession, account_id: str | None, country: str | None = None
) -> list[Rate]:
    """Every priced country (built-in, list rows, and the account's own), by ISO code."""
    rates = {code: _builtin(code) for code in catalog.LIST}
    for row in (await session.execute(select(ListRate))).scalars():
        rates[row.country] = _from_row(row, LIST)
    if account_id is not None:
        stmt = select(AccountRate).where(AccountRate.account_id == account_id)
        for own in (await session.execute(stmt)).scalars():
            rates[own.country] = _from_row(own, ACCOUNT)
    if country is not None:
        code = check_country(country)
        return [rates.get(code) or _builtin(code)]
    return [rates[code] for code in sorted(rates)]


async def rate_for(session: AsyncSession, account_id: str | None, country: str) -> Rate:
    """The price ``account_id`` pays for ``country``. Memoized for the session's transaction
    (a batch of sends to one country reads the rate tables once)."""
    code = country.upper()
    memo: dict[tuple[str | None, str], Rate] = session.info.setdefault("relaybox.rates", {})
    found = memo.get((account_id, code))
    if found is None:
        found = memo[(account_id, code)] = await _rate_for(session, account_id, code)
    return found


async def _rate_for(session: AsyncSession, account_id: str | None, code: str) -> Rate:
    if account_id is not None:
        own = await session.get(AccountRate, (account_id, code))
        if own is not None:
            return _from_row(own, ACCOUNT)
    row = await session.get(ListRate, code)
    return _from_row(row, LIST) if row is not None else _builtin(code)


async def sms_price(session: AsyncSession, account_id: str | None, country: str) -> tuple[int, str]:
    """(micro-units per segment, currency) to send one segment to ``country``."""
    rate = await rate_for(session, account_id, country)
    return rate.sms_price, rate.currency


def _check_prices(sms: int, voice: int, currency: str, route: str) -> str:
    if sms < 0 or voice < 0:
        raise ValidationFailed.field("sms", "prices cannot be negative")
    if len(route) > 40 or not route.strip():
        raise ValidationFailed.field("route_label", "route_label is 1-40 characters")
    code = currency.upper()
    if len(code) != 3 or not code.isalpha():
        raise ValidationFailed.field("currency", "currency is an ISO 4217 code")
    return code


async def set_list_rate(
    session: AsyncSession, country: str, *, sms: int, voice: int, currency: str, route_label: str
) -> Rate:
    code = check_country(country)
    currency = _check_prices(sms, voice, currency, route_label)
    row = await session.get(ListRate, code)
    if row is None:
        row = ListRate(country=code)
        session.add(row)
    row.sms_price, row.voice_price, row.currency = sms, voice, currency
    row.route_label, row.updated_at = route_label.strip(), clock.now()
    session.info.pop("relaybox.rates", None)
    await session.flush()
    return _from_row(row, LIST)


async def set_account_rate(
    session: AsyncSession,
    account_id: str,
    country: str,
    *,
    sms: int,
    voice: int,
    currency: str,
    route_label: str,
) -> Rate:
    code = check_country(country)
    currency = _check_prices(sms, voice, currency, route_label)
    row = await session.get(AccountRate, (account_id, code))
    if row is None:
        row = AccountRate(account_id=account_id, country=code)
        session.add(row)
    row.sms_price, row.voice_price, row.currency = sms, voice, currency
    row.route_label, row.updated_at = route_label.strip(), clock.now()
    session.info.pop("relaybox.rates", None)
    await session.flush()
    return _from_row(row, ACCOUNT)


async def delete_account_rate(session: AsyncSession, account_id: str, country: str) -> None:
    code = check_country(country)
    session.info.pop("relaybox.rates", None)
    done = await session.execute(
        delete(AccountRate).where(AccountRate.account_id == account_id, AccountRate.country == code)
    )
    if not done.rowcount:  # type: ignore[attr-defined]
        raise NotFound("This account has no own rate for that country.")
