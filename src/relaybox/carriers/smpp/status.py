"""submit_sm_resp command_status → our typed carrier errors, in one table.

A non-zero status means the SMSC did not take the message, so every error here is safe to retry
when it is retryable: nothing reached the handset.
"""

from __future__ import annotations

from relaybox.carriers.base import (
    CarrierError,
    CarrierRejected,
    CarrierThrottled,
    CarrierUnavailable,
)

ESME_RTHROTTLED = 0x58
ESME_RMSGQFUL = 0x14

NAMES = {
    0x01: "ESME_RINVMSGLEN",
    0x02: "ESME_RINVCMDLEN",
    0x03: "ESME_RINVCMDID",
    0x04: "ESME_RINVBNDSTS",
    0x08: "ESME_RSYSERR",
    0x0A: "ESME_RINVSRCADR",
    0x0B: "ESME_RINVDSTADR",
    0x14: "ESME_RMSGQFUL",
    0x33: "ESME_RINVNUMDESTS",
    0x45: "ESME_RSUBMITFAIL",
    0x48: "ESME_RINVSRCTON",
    0x49: "ESME_RINVSRCNPI",
    0x50: "ESME_RINVDSTTON",
    0x51: "ESME_RINVDSTNPI",
    0x58: "ESME_RTHROTTLED",
    0x61: "ESME_RINVSCHED",
    0x62: "ESME_RINVEXPIRY",
    0x64: "ESME_RX_T_APPN",
    0x65: "ESME_RX_P_APPN",
    0x66: "ESME_RX_R_APPN",
    0xFF: "ESME_RUNKNOWNERR",
}

# Seconds to wait before retrying, and to keep the connection slowed down.
THROTTLE_RETRY_AFTER = {ESME_RTHROTTLED: 1.0, ESME_RMSGQFUL: 5.0}
# Transient: the SMSC could not take it now (system error, not bound, temporary app error).
RETRYABLE = {0x04, 0x08, 0x64}
# Final, with the relaybox error code: 30005 unknown destination, 30007 filtered or blocked,
# 30008 unknown error (and our own malformed submits, which retrying cannot fix).
REJECTED = {
    0x0B: 30005,
    0x33: 30005,
    0x50: 30005,
    0x51: 30005,
    0x0A: 30007,
    0x48: 30007,
    0x49: 30007,
    0x65: 30007,
    0x66: 30007,
}
DEFAULT_REJECTED = 30008


def name(command_status: int) -> str:
    return NAMES.get(command_status, f"0x{command_status:08x}")


def error_for(command_status: int) -> CarrierError:
    word = name(command_status)
    if command_status in THROTTLE_RETRY_AFTER:
        return CarrierThrottled(
            f"SMSC asked to slow down ({word})",
            carrier_code=word,
            retry_after=THROTTLE_RETRY_AFTER[command_status],
        )
    if command_status in RETRYABLE:
        return CarrierUnavailable(
            f"SMSC could not take the message now ({word})", carrier_code=word
        )
    return CarrierRejected(
        f"SMSC rejected the message ({word})",
        error_code=REJECTED.get(command_status, DEFAULT_REJECTED),
        carrier_code=word,
    )
