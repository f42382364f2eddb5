"""Messaging refusals, with the error codes the major platforms use (REFERENCE.md)."""

from __future__ import annotations

from relaybox.errors import DomainError, InvalidNumber, SenderNotAllowed, ValidationFailed


class BodyInvalid(ValidationFailed):
    code = "body_invalid"


class RecipientOptedOut(DomainError):
    code, status = "recipient_opted_out", 422
    default_message = "The recipient has opted out of messages from this sender (21610)."


class RegionNotPermitted(DomainError):
    code, status = "region_not_permitted", 422
    default_message = "This account may not send to that country (21408)."


class LandlineDestination(InvalidNumber):
    code = "landline"
    default_message = "The destination is a landline and cannot receive SMS (21614)."


class SameNumber(InvalidNumber):
    code = "to_equals_from"
    default_message = "The destination and the sender are the same number (21266)."


class SenderNotOwned(SenderNotAllowed):
    code = "sender_not_owned"
    default_message = "The sender is not a number of this project (21606)."


class NoSender(SenderNotAllowed):
    code = "no_sender"
    default_message = "No sending number: give `from`, or activate SMS on the project."
