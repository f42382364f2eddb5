"""Magic destination numbers: each forces one network outcome. Any other possible number is an
ordinary virtual handset that receives the message and returns a DELIVRD receipt.

The table is documented in README.md ("Simulator").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    name: str
    description: str
    receipt: str | None = "delivered"  # delivered | undelivered | failed | None (no receipt)
    error_code: int | None = None
    carrier_status: str = "DELIVRD"
    slow: bool = False
    throttle_times: int = 0  # submits refused with "throttled" before one is accepted
    down: bool = False  # every submit fails: the carrier is unreachable
    landline: bool = False  # refused before sending, like a real landline lookup


DELIVERED = Outcome("delivered", "Delivered after the receipt delay.")

MAGIC: dict[str, Outcome] = {
    "+15005550001": Outcome(
        "undelivered",
        "Undelivered: handset unreachable (30003).",
        receipt="undelivered",
        error_code=30003,
        carrier_status="UNDELIV",
    ),
    "+15005550002": Outcome(
        "failed",
        "Failed: blocked by the carrier (30004).",
        receipt="failed",
        error_code=30004,
        carrier_status="REJECTD",
    ),
    "+15005550003": Outcome("no_receipt", "Accepted, no receipt ever: stays sent.", receipt=None),
    "+15005550004": Outcome("slow_receipt", "Delivered, after the slow receipt delay.", slow=True),
    "+15005550005": Outcome(
        "throttled", "Throttled twice by the carrier, then delivered.", throttle_times=2
    ),
    "+15005550006": Outcome("landline", "A landline: refused at send time (21614).", landline=True),
    "+15005550007": Outcome(
        "carrier_down", "Carrier down: submits fail until the message expires.", down=True
    ),
    "+15005550008": Outcome(
        "unknown_handset",
        "Undelivered: unknown subscriber (30005).",
        receipt="undelivered",
        error_code=30005,
        carrier_status="UNDELIV",
    ),
    "+15005550009": Outcome(
        "filtered",
        "Failed: filtered as spam by the carrier (30007).",
        receipt="failed",
        error_code=30007,
        carrier_status="REJECTD",
    ),
}


def outcome_for(number: str) -> Outcome:
    return MAGIC.get(number, DELIVERED)


def is_simulated_landline(number: str) -> bool:
    return outcome_for(number).landline
