"""Money as integer micro-units (millionths of the currency unit) plus an ISO 4217 currency.

One unit for every amount (ledger rows, rates, prices) keeps sums exact and lets sub-cent SMS
rates ($0.0079 a segment) be represented; display uses the currency's own decimals or more.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

MICRO = 6  # amounts are in 10^-6 of the currency unit
_ZERO = {
    "BIF",
    "CLP",
    "DJF",
    "GNF",
    "ISK",
    "JPY",
    "KMF",
    "KRW",
    "PYG",
    "RWF",
    "UGX",
    "UYI",
    "VND",
    "VUV",
    "XAF",
    "XOF",
    "XPF",
}
_THREE = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}


def exponent(currency: str) -> int:
    """The currency's own number of decimals (ISO 4217)."""
    code = currency.upper()
    if code in _ZERO:
        return 0
    if code in _THREE:
        return 3
    return 2


@dataclass(frozen=True)
class Money:
    amount: int  # micro-units
    currency: str

    @classmethod
    def parse(cls, value: Any, currency: str) -> Money:
        """Exact parse of a decimal string or number (at most 6 decimals)."""
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{value!r} is not an amount") from None
        if not number.is_finite():
            raise ValueError(f"{value!r} is not an amount")
        scaled = number.scaleb(MICRO)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value!r} has more than {MICRO} decimals")
        return cls(int(scaled), currency.upper())

    @classmethod
    def of(cls, units: int | str, currency: str) -> Money:
        return cls.parse(units, currency)

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-MICRO)

    def as_float(self) -> float:
        return float(self.to_decimal())

    def _decimals(self) -> int:
        """The currency's decimals, or more when the amount has finer digits."""
        places = exponent(self.currency)
        while places < MICRO and self.amount % 10 ** (MICRO - places):
            places += 1
        return places

    def format(self) -> str:
        return f"{self.to_decimal():.{self._decimals()}f}"

    def to_spec004(self) -> dict[str, Any]:
        """Bird's {amount, currency, exponent}: the smallest exponent that is exact."""
        places = self._decimals()
        return {
            "amount": self.amount // 10 ** (MICRO - places),
            "currency": self.currency,
            "exponent": places,
        }

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        return Money(self.amount * factor, self.currency)
