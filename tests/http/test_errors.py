"""Bad input gets a clear 4xx in the surface's own envelope, never a 500."""

from __future__ import annotations

from typing import Any

from relaybox.errors import DomainError, InsufficientFunds, InvalidNumber, ValidationFailed
from relaybox.http.rendering import render_bird, render_native, render_verify
from tests.support import Tenant


async def test_native_envelope_and_request_id(client: Any, tenant: Tenant) -> None:
    r = await client.get(
        "/v1/projects/prj_nope", headers={**tenant.headers(), "X-Request-Id": "trace-123"}
    )
    assert r.status_code == 404
    assert r.headers["x-request-id"] == "trace-123"
    assert r.json() == {
        "error": {"code": "not_found", "message": "Project not found."},
        "request_id": "trace-123",
    }


async def test_malformed_inputs_are_4xx(client: Any, tenant: Tenant) -> None:
    h = {**tenant.headers(), "Content-Type": "application/json"}
    cases = [
        ("POST", "/v1/sub-accounts", b"{not json", 400, "invalid_json"),
        ("POST", "/v1/sub-accounts", b'{"name": 5}', 422, "validation_failed"),
        ("POST", "/v1/sub-accounts", b'{"name": "x", "extra": 1}', 422, "validation_failed"),
        ("POST", "/v1/sub-accounts", b"[]", 422, "validation_failed"),
        ("POST", "/v1/keys", b'{"scope": "root", "mode": "test"}', 422, "validation_failed"),
        (
            "POST",
            "/v1/keys",
            b'{"scope": "read", "mode": "test", "allowed_cidrs": ["x"]}',
            422,
            "validation_failed",
        ),
        ("GET", "/v1/projects?limit=0", b"", 422, "validation_failed"),
        ("GET", "/v1/projects?limit=abc", b"", 422, "validation_failed"),
        ("GET", "/v1/projects?page_token=%%%", b"", 422, "validation_failed"),
        ("GET", "/v1/nothing-here", b"", 404, "not_found"),
        ("DELETE", "/v1/projects", b"", 405, "method_not_allowed"),
    ]
    for method, path, body, status, code in cases:
        r = await client.request(method, path, content=body, headers=h)
        assert r.status_code == status, (path, body, r.text)
        assert r.json()["error"]["code"] == code, (path, body, r.text)
    r = await client.post("/v1/sub-accounts", content=b'{"name": 5}', headers=h)
    assert r.json()["error"]["details"][0]["field"] == "name"


async def test_oversized_body_is_413(client: Any, tenant: Tenant) -> None:
    big = b'{"name": "' + b"x" * 2_000_000 + b'"}'
    r = await client.post(
        "/v1/sub-accounts",
        content=big,
        headers={**tenant.headers(), "Content-Type": "application/json"},
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"


async def test_other_surfaces_render_their_own_envelopes(client: Any, tenant: Tenant) -> None:
    r = await client.get("/v1/requests/whatever/nope", headers=tenant.basic())
    assert r.status_code == 404
    assert r.json()["errorCode"] == 12 and "errorReason" in r.json()
    r = await client.get("/workspaces/x/nothing", headers=tenant.access_key())
    assert r.status_code == 404 and r.json()["code"] == "NotFound"


def test_renderers() -> None:
    assert render_verify(DomainError("x", code="unauthorized", status=401), None) == (
        401,
        {"errorCode": 1, "errorReason": "x"},
    )
    assert render_verify(InsufficientFunds(), None)[0:1] == (403,)
    assert render_verify(InsufficientFunds(), None)[1]["errorCode"] == 6
    assert render_verify(InvalidNumber("bad"), None)[1]["errorCode"] == 11
    status, body = render_verify(ValidationFailed.field("number", "required"), None)
    assert (status, body["errorCode"]) == (400, 10)
    status, body = render_bird(ValidationFailed.field("limit", "too big"), None)
    assert status == 422 and body == {
        "code": "InvalidPayload",
        "message": "too big",
        "details": {"limit": ["too big"]},
    }
    status, body = render_native(DomainError("boom", status=500, code="internal"), "r1")
    assert status == 500 and body["request_id"] == "r1"
