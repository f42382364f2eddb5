"""The carrier adapter contract.

An adapter submits messages and reports what the network tells it. It never touches our rows:
``submit`` returns a result or raises a typed error, and receipts and inbound messages go to
the ``CarrierEvents`` sink it is given at start, which stores and applies them.

Ids: adapters return carrier message ids already normalised (one canonical spelling per id),
and use the same normalisation for the ids inside receipts, so correlation is an exact match.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

ReceiptStatus = Literal["delivered", "undelivered", "failed", "expired", "accepted"]


@dataclass(frozen=True, slots=True)
class OutboundSms:
    message_id: str  # relaybox's id (sms_...), stable across retries
    to: str  # E.164
    sender: str  # E.164 number, short code, or alphanumeric sender id
    body: str
    encoding: Literal["GSM-7", "UCS-2"]
    segments: int
    want_receipt: bool = True
    validity_seconds: int | None = None
    attempt: int = 1
    test: bool = False  # sandbox traffic (test keys)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    carrier_message_id: str  # normalised; for a multipart message, the first part's id
    part_ids: tuple[str, ...] = ()  # normalised ids of every part when sent as several submits
    receipts: bool = True  # False on routes that never return delivery receipts
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Receipt:
    carrier: str
    carrier_message_id: str  # normalised, as in SubmitResult
    status: ReceiptStatus
    event_id: str  # unique per (carrier, event): duplicates of one receipt share it
    carrier_status: str  # the network's own word, e.g. DELIVRD, UNDELIV
    error_code: int | None = None  # relaybox error code (30003 unreachable, ...)
    carrier_error: str | None = None  # the network's own error code
    occurred_at: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InboundSms:
    carrier: str
    external_id: str  # unique per (carrier, message): duplicates share it
    sender: str  # E.164 of the handset
    to: str  # our number, E.164
    body: str  # this message's text, or this part's text when part_total > 1
    received_at: datetime | None = None
    # Multipart MO: each part is reported on its own and reassembled in the database, so parts
    # arriving on different binds or processes still join. concat_ref is the UDH/SAR reference.
    concat_ref: str | None = None
    part_total: int = 1
    part_seq: int = 1
    raw: dict[str, Any] = field(default_factory=dict)


class CarrierError(Exception):
    """Base of the typed adapter errors."""

    def __init__(self, message: str, *, carrier_code: str | None = None) -> None:
        super().__init__(message)
        self.carrier_code = carrier_code


class RetryableCarrierError(CarrierError):
    """Try again later; nothing reached the handset."""

    retry_after: float | None = None

    def __init__(
        self, message: str, *, carrier_code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, carrier_code=carrier_code)
        self.retry_after = retry_after


class CarrierUnavailable(RetryableCarrierError):
    """Connection failed or no session is bound."""


class CarrierTimeout(RetryableCarrierError):
    """No answer in time. Raise only when the submit certainly did not leave us; a submit that
    may have reached the carrier without an answer is SubmitOutcomeUnknown."""


class CarrierThrottled(RetryableCarrierError):
    """The carrier asked us to slow down (e.g. ESME_RTHROTTLED, ESME_RMSGQFUL)."""


class CarrierRejected(CarrierError):
    """Final: the carrier refused this message; retrying cannot help."""

    def __init__(
        self,
        message: str,
        *,
        error_code: int,
        carrier_code: str | None = None,
        status: Literal["failed", "undelivered"] = "failed",
    ) -> None:
        super().__init__(message, carrier_code=carrier_code)
        self.error_code = error_code
        self.status = status


class SubmitOutcomeUnknown(CarrierError):
    """The submit may or may not have reached the carrier. Never resubmitted (no duplicates)."""


class CarrierEvents(Protocol):
    """Where adapters report what the network says. Implemented by the messaging service."""

    async def receipt(self, receipt: Receipt) -> None: ...

    async def inbound(self, message: InboundSms) -> None: ...


@runtime_checkable
class CarrierAdapter(Protocol):
    name: str

    async def start(self, events: CarrierEvents) -> None:
        """Connect (bind, open pools). Called once per process before any submit."""

    async def stop(self) -> None:
        """Disconnect cleanly."""

    async def submit(self, message: OutboundSms) -> SubmitResult:
        """Hand one message to the carrier. Raises a CarrierError subclass on failure."""

    async def recover(self, message: OutboundSms) -> SubmitResult | None:
        """After a crash between "about to submit" and "submit answered": the carrier's result if
        it has this message, None if it certainly never received it, SubmitOutcomeUnknown when it
        cannot tell."""

    def health(self) -> dict[str, Any]:
        """Connection state for /api/v1/status and docs/carriers.md (binds, window, rates)."""
