"""List prices and default capabilities of the numbers relaybox sells (pure data).

Monthly prices are micro-units of USD. Stock loaded from a CSV may carry its own price and
capabilities; these are the defaults when it does not, and the simulator's prices.
"""

from __future__ import annotations

from relaybox.carriers.simulator.stock import LOCAL, MOBILE, NANP, SHORT_CODE, TOLL_FREE

CURRENCY = "USD"
_D = 1_000_000  # one dollar in micro-units

MONTHLY_PRICES: dict[tuple[str, str], int] = {
    ("US", LOCAL): 1_150_000,
    ("US", TOLL_FREE): 2_150_000,
    ("US", SHORT_CODE): 1000 * _D,
    ("CA", LOCAL): 1_150_000,
    ("CA", TOLL_FREE): 2_150_000,
    ("CA", SHORT_CODE): 1000 * _D,
    ("GB", MOBILE): 1_150_000,
    ("GB", LOCAL): 1_150_000,
    ("GB", TOLL_FREE): 2_500_000,
    ("DE", MOBILE): 3 * _D,
    ("DE", LOCAL): 1_500_000,
    ("DE", TOLL_FREE): 15 * _D,
    ("FR", MOBILE): 3 * _D,
    ("FR", LOCAL): 1_500_000,
    ("FR", TOLL_FREE): 15 * _D,
    ("NL", MOBILE): 3 * _D,
    ("NL", LOCAL): 1_500_000,
    ("NL", TOLL_FREE): 15 * _D,
    ("IN", MOBILE): 5 * _D,
    ("IN", LOCAL): 5 * _D,
    ("IN", TOLL_FREE): 25 * _D,
    ("BR", MOBILE): 10 * _D,
    ("BR", LOCAL): 5 * _D,
    ("BR", TOLL_FREE): 30 * _D,
    ("AU", MOBILE): 6_500_000,
    ("AU", LOCAL): 3 * _D,
    ("AU", TOLL_FREE): 15 * _D,
}
DEFAULT_PRICES = {LOCAL: 2 * _D, MOBILE: 5 * _D, TOLL_FREE: 15 * _D, SHORT_CODE: 1000 * _D}


def monthly_price(country: str, kind: str) -> int:
    return MONTHLY_PRICES.get((country, kind), DEFAULT_PRICES.get(kind, 5 * _D))


def default_capabilities(country: str, kind: str) -> tuple[bool, bool, bool]:
    """(sms, mms, voice): NANP numbers do everything (short codes: messaging only); elsewhere
    mobile numbers do SMS and voice, landlines and toll-free numbers voice only."""
    if kind == SHORT_CODE:
        return True, True, False
    if country in NANP:
        return True, True, True
    if kind == MOBILE:
        return True, False, True
    return False, False, True
