"""SSRF protection: which URLs and addresses may receive webhooks."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from relaybox.errors import ValidationFailed
from relaybox.settings import Settings
from relaybox.webhooks import targets


def make(private: bool = False, loopback: bool = True) -> Settings:
    return Settings(
        data_dir=Path("/nonexistent"),
        webhook_allow_private=private,
        webhook_allow_loopback=loopback,
    )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "https://user:pw@example.com/hook",
        "https://user@example.com/hook",
        "http:///nohost",
        "not a url",
        "https://example.com/" + "x" * 2000,
    ],
)
def test_bad_shapes_are_refused(url: str) -> None:
    with pytest.raises(targets.TargetRefused):
        targets.check_static(url, make())


@pytest.mark.parametrize(
    ("address", "allowed", "private", "loopback"),
    [
        ("8.8.8.8", True, False, False),
        ("2606:4700:4700::1111", True, False, False),
        ("127.0.0.1", True, False, True),
        ("127.0.0.1", False, True, False),
        ("::1", False, False, False),
        ("::ffff:127.0.0.1", False, False, False),
        ("10.0.0.1", False, False, True),
        ("10.0.0.1", True, True, False),
        ("172.16.5.4", False, False, True),
        ("192.168.1.1", False, False, True),
        ("100.64.0.1", False, False, True),
        ("fd00::1", False, False, True),
        ("::ffff:10.0.0.1", False, False, True),
        ("169.254.169.254", False, True, True),  # cloud metadata: never
        ("fe80::1", False, True, True),
        ("224.0.0.1", False, True, True),
        ("240.0.0.1", False, True, True),
        ("0.0.0.0", False, True, True),
        ("::", False, True, True),
    ],
)
def test_addresses(address: str, allowed: bool, private: bool, loopback: bool) -> None:
    problem = targets.address_problem(ipaddress.ip_address(address), make(private, loopback))
    assert (problem is None) == allowed, problem


def test_configuration_time_checks_literal_addresses_and_localhost() -> None:
    assert targets.check_static("https://hooks.example.com/x", make()).port == 443
    assert targets.check_static("http://127.0.0.1:9000/x", make()).port == 9000
    for url in ("http://10.0.0.1/x", "http://[::ffff:10.0.0.1]/x", "http://169.254.169.254/"):
        with pytest.raises(targets.TargetRefused):
            targets.check_static(url, make())
    for url in ("http://localhost:8000/", "http://app.localhost/", "http://[::1]/"):
        targets.check_static(url, make(loopback=True))
        with pytest.raises(targets.TargetRefused):
            targets.check_static(url, make(loopback=False))
    with pytest.raises(ValidationFailed) as caught:
        targets.validate("http://10.0.0.1/", make(), "status_url")
    assert caught.value.details == [{"field": "status_url", "message": caught.value.message}]


async def test_a_name_resolving_to_loopback_is_refused_when_loopback_is_off() -> None:
    target = targets.parse("http://localhost:1/hook")
    assert all(a.is_loopback for a in await targets.resolve(target, make(loopback=True)))
    with pytest.raises(targets.TargetRefused, match=r"localhost resolves to .* loopback"):
        await targets.resolve(target, make(loopback=False))


async def test_an_unknown_name_fails_to_resolve() -> None:
    with pytest.raises(targets.ResolveFailed):
        await targets.resolve(targets.parse("http://no-such-host.invalid/"), make())
