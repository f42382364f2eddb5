"""Each API surface's error envelope, from one DomainError."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.exceptions import RequestValidationError

from relaybox.errors import BadRequest, DomainError, InvalidJson, ValidationFailed

Rendered = tuple[int, dict[str, Any]]
Renderer = Callable[[DomainError, str | None], Rendered]


def render_native(err: DomainError, request_id: str | None) -> Rendered:
    body: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.details:
        body["details"] = err.details
    return err.status, {"error": body, "request_id": request_id}


# Spec 003's numeric codes. Codes the document lists: 1, 2, 4, 5, 6, 10, 11, 16.
# relaybox adds 3 (access denied), 12 (not found), 13 (conflict), 14 (too large), 15 (unavailable).
_VERIFY_CODES: dict[str, tuple[int, int]] = {
    "unauthorized": (1, 401),
    "account_suspended": (2, 400),
    "rate_limited": (4, 429),
    "key_inactive": (5, 401),
    "insufficient_funds": (6, 403),
    "invalid_number": (11, 400),
    "sender_not_allowed": (16, 400),
}
_VERIFY_BY_STATUS = {
    400: 10,
    401: 1,
    403: 3,
    404: 12,
    405: 10,
    409: 13,
    413: 14,
    415: 10,
    422: 10,
    429: 4,
    503: 15,
}


def render_verify(err: DomainError, request_id: str | None) -> Rendered:
    code, status = _VERIFY_CODES.get(err.code, (0, err.status))
    if code == 0:
        code = _VERIFY_BY_STATUS.get(err.status, 10 if err.status < 500 else 15)
        if status == 422:
            status = 400  # the document answers invalid requests with 400
    body: dict[str, Any] = {"errorCode": code, "errorReason": err.message}
    if err.details:
        body["details"] = err.details
    return status, body


_BIRD_CODES = {
    400: "InvalidRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "InvalidPayload",
    429: "TooManyRequests",
    503: "ServiceUnavailable",
}


def render_bird(err: DomainError, request_id: str | None) -> Rendered:
    code = _BIRD_CODES.get(err.status) or "".join(p.title() for p in err.code.split("_"))
    if err.code == "insufficient_funds":
        code = "InsufficientFunds"
    body: dict[str, Any] = {"code": code, "message": err.message}
    if err.details:
        fields: dict[str, list[str]] = {}
        for detail in err.details:
            fields.setdefault(str(detail.get("field", "")), []).append(str(detail.get("message")))
        body["details"] = fields
    return err.status, body


def from_validation(exc: RequestValidationError) -> DomainError:
    """Pydantic's request errors as one DomainError with per-field details."""
    details: list[dict[str, Any]] = []
    for error in exc.errors():
        if error.get("type") == "json_invalid":
            return InvalidJson()
        loc = [str(part) for part in error.get("loc", ())]
        where = loc[0] if loc else "body"
        field = ".".join(loc[1:]) if len(loc) > 1 else where
        details.append(
            {
                "field": field,
                "in": where,
                "message": error.get("msg", "invalid"),
                "type": error.get("type", "value_error"),
            }
        )
    if any(d["in"] == "path" for d in details):
        return BadRequest("Invalid path parameter.", details=details)
    summary = "; ".join(f"{d['field']}: {d['message']}" for d in details[:5])
    return ValidationFailed(f"Invalid request: {summary}", details=details)
