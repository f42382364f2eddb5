"""Signatures verify with the standardwebhooks library and by recomputing X-Signature."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from relaybox import clock
from relaybox.webhooks import signing

BODY = b'{"event":"delivery_report","message_id":"msg_123","status":"delivered"}'


def now_ts() -> int:
    return int(clock.now().timestamp())


def x_signature_valid(header: str, secret: str, body: bytes) -> bool:
    parts = [p.split("=", 1) for p in header.split(",")]
    stamp = next(v for k, v in parts if k == "t")
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in parts)


def test_new_secret_is_a_standard_webhooks_secret() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(signing.standard_key(secret)) == 32
    assert signing.new_secret() != secret
    assert signing.secret_problem(secret) is None


def test_headers_verify_with_the_library_and_by_hand() -> None:
    secret = signing.new_secret()
    headers = signing.signature_headers([secret], "evt_1", now_ts(), BODY)
    assert Webhook(secret).verify(BODY, headers) == {
        "event": "delivery_report",
        "message_id": "msg_123",
        "status": "delivered",
    }
    assert headers["webhook-id"] == "evt_1"
    assert headers["X-Signature"].startswith(f"t={headers['webhook-timestamp']},v1=")
    assert x_signature_valid(headers["X-Signature"], secret, BODY)
    assert not x_signature_valid(headers["X-Signature"], secret, BODY + b" ")
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(BODY, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"delivered", b"failed"), headers)


def test_two_secrets_during_rotation_both_verify() -> None:
    new, old = signing.new_secret(), signing.new_secret()
    headers = signing.signature_headers([new, old], "evt_2", now_ts(), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert headers["X-Signature"].count("v1=") == 2
    for secret in (new, old):
        Webhook(secret).verify(BODY, headers)
        assert x_signature_valid(headers["X-Signature"], secret, BODY)


def test_a_customer_key_without_prefix_signs_with_its_bytes() -> None:
    key = "my-signing-key"
    headers = signing.signature_headers([key], "evt_3", now_ts(), BODY)
    Webhook(key.encode()).verify(BODY, headers)
    assert x_signature_valid(headers["X-Signature"], key, BODY)


def test_bad_whsec_keys_are_refused() -> None:
    assert signing.secret_problem("whsec_not base64!") is not None
    assert signing.secret_problem("whsec_AAAA") is not None  # too short
    assert signing.secret_problem("KeV+/HGoIQrxuE5YPCRR6AuQOJveldYNNhbVi1i22qk=") is None
