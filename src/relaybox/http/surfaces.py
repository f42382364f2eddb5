"""The API dialects relaybox speaks, and which one owns a path (for errors before routing)."""

from __future__ import annotations

from relaybox.http.ratelimit import Limit
from relaybox.http.rendering import render_bird, render_native, render_verify
from relaybox.http.surface import Surface

NATIVE = Surface("native", render_native, lambda s: Limit(s.rate_limit_native_per_minute, 60))
SMSVOIP = Surface("smsvoip", render_native, lambda s: Limit(s.rate_limit_smsvoip_per_minute, 60))
VERIFY = Surface("verify", render_verify, lambda s: Limit(s.rate_limit_verify_per_second, 1))
BIRD = Surface("bird", render_bird, lambda s: Limit(s.rate_limit_bird_per_minute, 60))

_VERIFY_PREFIXES = (
    "/v1/sms",
    "/v1/requests",
    "/v1/verify",
    "/v1/insight",
    "/v1/messaging",
    "/v1/calls",
)


def surface_for_path(path: str) -> Surface:
    if path.startswith("/api/v1"):
        return SMSVOIP
    if path.startswith(("/workspaces", "/organizations")):
        return BIRD
    if path.startswith(_VERIFY_PREFIXES) and not path.startswith(
        ("/v1/sms/fleet", "/v1/sms/inbox", "/v1/sms/deliverability", "/v1/sms/otp")
    ):
        return VERIFY
    return NATIVE
