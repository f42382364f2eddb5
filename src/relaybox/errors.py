"""One error base for the whole product. Each API surface renders it in its own envelope."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A failure with a stable code, a human message and an HTTP status."""

    code: str = "error"
    status: int = 400
    default_message: str = "The request could not be completed."

    def __init__(
        self,
        message: str | None = None,
        *,
        code: str | None = None,
        status: int | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.message = message or self.default_message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status
        self.details = details
        self.headers = headers or {}
        super().__init__(self.message)


class BadRequest(DomainError):
    code, status, default_message = "bad_request", 400, "The request is malformed."


class InvalidJson(BadRequest):
    code, default_message = "invalid_json", "The request body is not valid JSON."


class ValidationFailed(DomainError):
    code, status, default_message = "validation_failed", 422, "The request has invalid fields."

    @classmethod
    def field(cls, field: str, message: str, code: str | None = None) -> ValidationFailed:
        return cls(message, code=code, details=[{"field": field, "message": message}])


class InvalidNumber(DomainError):
    code, status, default_message = "invalid_number", 400, "The phone number is invalid."


class SenderNotAllowed(DomainError):
    code, status, default_message = "sender_not_allowed", 400, "This sender is not allowed."


class Unauthorized(DomainError):
    code, status, default_message = "unauthorized", 401, "A valid API key is required."


class KeyInactive(Unauthorized):
    code, default_message = "key_inactive", "This API key is revoked or expired."


class Forbidden(DomainError):
    code, status, default_message = "forbidden", 403, "This key may not do that."


class InsufficientScope(Forbidden):
    code = "insufficient_scope"


class IpNotAllowed(Forbidden):
    code, default_message = "ip_not_allowed", "Requests from this IP address are not allowed."


class AccountSuspended(Forbidden):
    code, default_message = "account_suspended", "This account is suspended."


class InsufficientFunds(Forbidden):
    code, default_message = "insufficient_funds", "The account balance is too low."


class NotFound(DomainError):
    code, status, default_message = "not_found", 404, "Not found."


class MethodNotAllowed(DomainError):
    code, status, default_message = "method_not_allowed", 405, "Method not allowed."


class Conflict(DomainError):
    code, status, default_message = "conflict", 409, "The request conflicts with current state."


class IdempotencyKeyInUse(Conflict):
    code = "idempotency_key_in_use"
    default_message = "A request with this Idempotency-Key is still being processed."


class IdempotencyKeyReused(DomainError):
    code, status = "idempotency_key_reused", 422
    default_message = "This Idempotency-Key was used with a different request."


class PayloadTooLarge(DomainError):
    code, status, default_message = "payload_too_large", 413, "The request body is too large."


class UnsupportedMediaType(DomainError):
    code, status, default_message = "unsupported_media_type", 415, "Unsupported content type."


class RateLimited(DomainError):
    code, status, default_message = "rate_limited", 429, "Too many requests."


class ServiceUnavailable(DomainError):
    code, status, default_message = "unavailable", 503, "Temporarily unavailable; retry later."
