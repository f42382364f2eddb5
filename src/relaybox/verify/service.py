"""OTP by SMS: request and verify (spec 000), rules from REFERENCE.md.

Codes are 4-10 digits (default 6) derived from the server key and a per-verification salt, so a
resend within the window sends the same code without the code ever being stored: only its hash
is. Checks compare hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from relaybox import clock, ids
from relaybox.accounts.principal import Principal
from relaybox.domain import otp, phone
from relaybox.errors import NotFound, RateLimited, ValidationFailed
from relaybox.messaging import service as messaging
from relaybox.verify.models import Verification, VerificationSend

PENDING = "pending"


@dataclass(frozen=True)
class Issued:
    verification: Verification
    message_id: str
    resent: bool


def derive_code(server_key: bytes, salt: str, length: int) -> str:
    digest = hmac.new(server_key, f"otp:{salt}".encode(), hashlib.sha256).digest()
    return str(int.from_bytes(digest, "big") % 10**length).zfill(length)


def code_hash(salt: str, code: str) -> str:
    return otp.hash_code(code, bytes.fromhex(salt))


async def _pending(
    session: AsyncSession, project_id: str | None, number: str
) -> Verification | None:
    return (
        await session.execute(
            select(Verification)
            .where(
                Verification.project_id == project_id,
                Verification.number == number,
                Verification.status == PENDING,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()


async def _expire_if_due(v: Verification) -> bool:
    if v.expires_at <= clock.now():
        v.status, v.finished_at = "expired", clock.now()
        return True
    return False


async def request(
    session: AsyncSession,
    who: Principal,
    *,
    project_id: str | None,
    to: str,
    server_key: bytes,
    code_length: int = otp.DEFAULT_LENGTH,
    sandbox_sender: str,
    validity_seconds: int,
) -> Issued:
    if not 4 <= code_length <= 10:
        raise ValidationFailed.field("code_length", "Code length must be 4 to 10 digits.")
    number = phone.parse(to)
    now = clock.now()
    window_start = now - timedelta(seconds=otp.SEND_WINDOW_SECONDS)
    recent = (
        await session.execute(
            select(func.count())
            .select_from(VerificationSend)
            .where(
                VerificationSend.project_id == project_id,
                VerificationSend.number == number.e164,
                VerificationSend.sent_at > window_start,
            )
        )
    ).scalar_one()
    if recent >= otp.MAX_SENDS_PER_WINDOW:
        raise RateLimited(
            "Too many codes sent to this number; try again later.",
            headers={"Retry-After": str(otp.SEND_WINDOW_SECONDS)},
        )
    verification = await _pending(session, project_id, number.e164)
    if verification is not None and await _expire_if_due(verification):
        await session.flush()
        verification = None
    resent = verification is not None
    if verification is None:
        salt = secrets.token_hex(16)
        code = derive_code(server_key, salt, code_length)
        verification = Verification(
            id=ids.new_id("ver"),
            account_id=who.account,
            sub_account_id=who.sub_account_id,
            project_id=project_id,
            number=number.e164,
            country=number.country,
            channel="sms",
            test=who.is_test,
            code_length=code_length,
            salt=salt,
            code_hash=code_hash(salt, code),
            status=PENDING,
            checks=0,
            sends=0,
            created_at=now,
            expires_at=now + timedelta(seconds=otp.VALIDITY_SECONDS),
            finished_at=None,
        )
        session.add(verification)
        await session.flush()
    code = derive_code(server_key, verification.salt, verification.code_length)
    minutes = otp.VALIDITY_SECONDS // 60
    message = await messaging.send(
        session,
        who,
        messaging.SendRequest(
            to=number.e164,
            body=f"Your verification code is {code}. It expires in {minutes} minutes.",
            project_id=project_id,
            surface="native",
            kind="otp",
        ),
        sandbox_sender=sandbox_sender,
        validity_seconds=validity_seconds,
    )
    verification.sends += 1
    session.add(
        VerificationSend(
            verification_id=verification.id,
            project_id=project_id,
            number=number.e164,
            message_id=message.id,
            sent_at=now,
        )
    )
    await session.flush()
    return Issued(verification, message.id, resent)


async def check(
    session: AsyncSession, who: Principal, *, project_id: str | None, to: str, code: str
) -> Verification:
    """Approve the pending verification if the code matches. A verification that is approved,
    expired, canceled or out of attempts is not found."""
    number = phone.parse(to)
    verification = await _pending(session, project_id, number.e164)
    if verification is None or verification.account_id != who.account:
        raise NotFound("No pending verification for this number.")
    if await _expire_if_due(verification):
        await session.flush()
        raise NotFound("The verification expired; request a new code.")
    verification.checks += 1
    candidate = code.strip()
    ok = candidate.isdigit() and otp.check_code(
        candidate, bytes.fromhex(verification.salt), verification.code_hash
    )
    if ok:
        verification.status, verification.finished_at = "approved", clock.now()
    elif verification.checks >= otp.MAX_CHECKS:
        verification.status, verification.finished_at = "max_attempts_reached", clock.now()
    await session.flush()
    return verification


async def stats(session: AsyncSession, who: Principal, since_days: int = 30) -> dict[str, object]:
    since = clock.now() - timedelta(days=since_days)
    stmt = select(Verification.country, Verification.status, func.count()).where(
        Verification.account_id == who.account, Verification.created_at >= since
    )
    if who.project_id:
        stmt = stmt.where(Verification.project_id == who.project_id)
    rows = (await session.execute(stmt.group_by(Verification.country, Verification.status))).all()
    issued = sum(count for _, _, count in rows)
    verified = sum(count for _, status, count in rows if status == "approved")
    failures = {
        s: sum(c for _, st, c in rows if st == s)
        for s in ("max_attempts_reached", "expired", "canceled", "failed")
    }
    by_country: dict[str, dict[str, int]] = {}
    for country, status, count in rows:
        entry = by_country.setdefault(country or "unknown", {"issued": 0, "verified": 0})
        entry["issued"] += count
        if status == "approved":
            entry["verified"] += count
    return {
        "since": since.isoformat().replace("+00:00", "Z"),
        "issued": issued,
        "verified": verified,
        "conversion": round(verified / issued, 4) if issued else None,
        "failures": failures,
        "by_country": {
            k: {**v, "conversion": round(v["verified"] / v["issued"], 4)}
            for k, v in by_country.items()
        },
    }
