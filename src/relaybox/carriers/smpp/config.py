"""One SMPP connection's settings, and the addressing rules that depend on them.

A connection is stored as a ``carrier_connections`` row (password encrypted); everything that is
not an address or a credential lives in its ``options`` JSON, read back through ``from_options``
so an option added later gets its default on old rows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

BindMode = Literal["transceiver", "transmitter+receiver"]
Gsm7Mode = Literal["unpacked", "packed"]
ConcatMode = Literal["udh", "sar"]
IdFormat = Literal["text", "hex", "decimal"]

BIND_MODES: tuple[BindMode, ...] = ("transceiver", "transmitter+receiver")
GSM7_MODES: tuple[Gsm7Mode, ...] = ("unpacked", "packed")
CONCAT_MODES: tuple[ConcatMode, ...] = ("udh", "sar")
ID_FORMATS: tuple[IdFormat, ...] = ("text", "hex", "decimal")

# Options every row carries in ``options`` (the rest are columns).
OPTION_FIELDS = (
    "system_type",
    "bind_mode",
    "sessions",
    "window",
    "tps",
    "gsm7",
    "concat",
    "validity_seconds",
    "prefixes",
    "priority",
    "submit_ids",
    "receipt_ids",
    "response_timeout",
)


@dataclass(frozen=True)
class SmppConfig:
    name: str
    host: str
    port: int
    system_id: str
    password: str = field(repr=False)
    system_type: str = ""
    bind_mode: BindMode = "transceiver"
    sessions: int = 1  # binds (pairs of binds in transmitter+receiver mode)
    window: int = 64  # submits in flight per bind
    tps: float = 0.0  # submits per second for the whole connection; 0 means no cap
    gsm7: Gsm7Mode = "unpacked"  # data_coding 0 as one septet per octet, or packed septets
    concat: ConcatMode = "udh"
    validity_seconds: int | None = None  # cap on the message's own validity
    prefixes: tuple[str, ...] = ()  # destination prefixes (digits); empty matches any
    priority: int = 100  # lower is preferred among equal prefix matches
    submit_ids: IdFormat = "text"  # how submit_sm_resp message ids are written
    receipt_ids: IdFormat = "text"  # how receipts write the same ids
    response_timeout: float = 10.0  # seconds to wait for submit_sm_resp

    def __post_init__(self) -> None:
        problems = validate(self)
        if problems:
            raise ValueError("; ".join(problems))

    def options(self) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in OPTION_FIELDS}
        data["prefixes"] = list(self.prefixes)
        return data

    @classmethod
    def from_options(
        cls,
        *,
        name: str,
        host: str,
        port: int,
        system_id: str,
        password: str,
        options: dict[str, Any],
    ) -> SmppConfig:
        known = {k: v for k, v in options.items() if k in OPTION_FIELDS}
        if "prefixes" in known:
            known["prefixes"] = tuple(normalize_prefix(p) for p in known["prefixes"])
        return cls(name=name, host=host, port=port, system_id=system_id, password=password, **known)

    def replace(self, **changes: Any) -> SmppConfig:
        return dataclasses.replace(self, **changes)


def normalize_prefix(prefix: str) -> str:
    return prefix.strip().lstrip("+")


def validate(c: SmppConfig) -> list[str]:
    problems: list[str] = []
    if not c.name or len(c.name) > 40 or ":" in c.name:
        problems.append("name must be 1-40 characters without ':'")
    if not 0 < c.port < 65536:
        problems.append("port must be 1-65535")
    if not c.system_id or len(c.system_id) > 15:
        problems.append("system_id must be 1-15 characters (SMPP 3.4)")
    if len(c.password) > 8:
        problems.append("password must be at most 8 characters (SMPP 3.4)")
    if len(c.system_type) > 12:
        problems.append("system_type must be at most 12 characters")
    if c.bind_mode not in BIND_MODES:
        problems.append(f"bind_mode must be one of {BIND_MODES}")
    if c.gsm7 not in GSM7_MODES:
        problems.append(f"gsm7 must be one of {GSM7_MODES}")
    if c.concat not in CONCAT_MODES:
        problems.append(f"concat must be one of {CONCAT_MODES}")
    if c.submit_ids not in ID_FORMATS or c.receipt_ids not in ID_FORMATS:
        problems.append(f"id formats must be one of {ID_FORMATS}")
    if not 1 <= c.sessions <= 64:
        problems.append("sessions must be 1-64")
    if not 1 <= c.window <= 1024:
        problems.append("window must be 1-1024")
    if c.tps < 0:
        problems.append("tps must be 0 (no cap) or more")
    if c.validity_seconds is not None and not 60 <= c.validity_seconds <= 99 * 86400:
        problems.append("validity must be 60 s to 99 days")
    if any(not p.isdigit() for p in c.prefixes):
        problems.append("prefixes must be digits (an optional leading + is dropped)")
    if c.response_timeout <= 0:
        problems.append("response_timeout must be positive")
    return problems


# -- addressing -----------------------------------------------------------------------------

TON_INTERNATIONAL, TON_NETWORK_SPECIFIC, TON_ALPHANUMERIC = 1, 3, 5
NPI_UNKNOWN, NPI_E164 = 0, 1
SHORT_CODE_MAX_DIGITS = 8


def source_address(sender: str) -> tuple[str, int, int]:
    """(address, TON, NPI) for a sender: E.164 → 1/1, short code → 3/0, alphanumeric → 5/0."""
    digits = sender[1:] if sender.startswith("+") else sender
    if digits.isdigit():
        if sender.startswith("+") or len(digits) > SHORT_CODE_MAX_DIGITS:
            return digits, TON_INTERNATIONAL, NPI_E164
        return digits, TON_NETWORK_SPECIFIC, NPI_UNKNOWN
    return sender[:11], TON_ALPHANUMERIC, NPI_UNKNOWN


def destination_address(to: str) -> tuple[str, int, int]:
    """Destinations are always international E.164 (TON 1, NPI 1) without the '+'."""
    return to.lstrip("+"), TON_INTERNATIONAL, NPI_E164


def validity_period(seconds: int | None) -> str:
    """SMPP 3.4 relative time ``YYMMDDhhmmss000R`` (7.1.1); empty means the SMSC's default."""
    if seconds is None:
        return ""
    seconds = max(60, min(seconds, 99 * 86400))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"0000{days:02d}{hours:02d}{minutes:02d}{secs:02d}000R"
