"""Idempotency-Key on POST: replay the stored response of the first request for 24 hours.

- same key, same request, finished → the stored status and body (``Idempotent-Replayed: true``)
- same key, different request → 422; same key while the first is still running → 409
- a request refused with a 4xx changed nothing and is not stored, so it may be retried;
  2xx and 5xx responses are stored
- the result is recorded in the same transaction as the request's effect, so a retry after a
  crash replays it instead of doing it again; a request that crashed before its effect committed
  leaves an in-flight record whose lock lapses after ``idempotency_lock_seconds``
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import orjson
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from sqlalchemy import LargeBinary, String, UniqueConstraint, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from starlette.requests import Request
from starlette.responses import Response

from relaybox import clock
from relaybox.errors import DomainError, IdempotencyKeyInUse, IdempotencyKeyReused, ValidationFailed
from relaybox.http.rendering import from_validation
from relaybox.storage.base import Base, BigId
from relaybox.storage.database import same_transaction

if TYPE_CHECKING:
    from relaybox.accounts.principal import Principal
    from relaybox.runtime import Runtime

log = logging.getLogger("relaybox.idempotency")
IN_FLIGHT, COMPLETE = "in_flight", "complete"


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    key_id: Mapped[str] = mapped_column(String(40))
    idem_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    status_code: Mapped[int | None]
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_type: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)

    __table_args__ = (UniqueConstraint("key_id", "idem_key"),)


Inner = Callable[[Request], Coroutine[Any, Any, Response]]


async def run(
    request: Request, runtime: Runtime, who: Principal, inner: Inner, status_code: int = 200
) -> Response:
    idem = request.headers["idempotency-key"].strip()
    if not idem or len(idem) > 255 or not idem.isprintable():
        raise ValidationFailed.field("Idempotency-Key", "must be 1-255 printable characters")
    body = await request.body()
    digest = hashlib.sha256(
        b"\0".join(
            [request.method.encode(), request.url.path.encode(), request.url.query.encode(), body]
        )
    ).hexdigest()
    ttl = runtime.settings.idempotency_ttl_seconds
    lock = runtime.settings.idempotency_lock_seconds

    async def claim(session: AsyncSession) -> IdempotencyRecord:
        now = clock.now()
        record = (
            await session.execute(
                select(IdempotencyRecord)
                .where(IdempotencyRecord.key_id == who.key_id, IdempotencyRecord.idem_key == idem)
                .with_for_update()
            )
        ).scalar_one_or_none()
        if record is not None and record.expires_at <= now:
            await session.delete(record)
            await session.flush()
            record = None
        if record is None:
            record = IdempotencyRecord(
                key_id=who.key_id,
                idem_key=idem,
                request_hash=digest,
                state=IN_FLIGHT,
                locked_until=now + timedelta(seconds=lock),
                created_at=now,
                expires_at=now + timedelta(seconds=ttl),
            )
            session.add(record)
            await session.flush()
            return record
        if record.request_hash != digest:
            raise IdempotencyKeyReused()
        if record.state == COMPLETE:
            return record
        if record.locked_until is not None and record.locked_until > now:
            raise IdempotencyKeyInUse()
        record.locked_until = now + timedelta(seconds=lock)
        return record

    try:
        record = await runtime.db.write(claim)
    except IntegrityError:
        raise IdempotencyKeyInUse() from None
    if record.state == COMPLETE:
        return Response(
            record.response_body or b"",
            status_code=record.status_code or 200,
            media_type=record.content_type,
            headers={"Idempotent-Replayed": "true"},
        )

    surface = request.state.surface
    record_id = record.id

    async def record_with_effect(session: AsyncSession, result: Any) -> None:
        try:
            body = orjson.dumps(jsonable_encoder(result))
        except (TypeError, ValueError):
            return
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.id == record_id)
            .values(
                state=COMPLETE,
                status_code=status_code,
                response_body=body,
                content_type="application/json",
                locked_until=None,
            )
        )

    token = same_transaction.set(record_with_effect)
    try:
        response = await inner(request)
    except DomainError as err:
        response = surface.response(err)
    except RequestValidationError as err:
        response = surface.response(from_validation(err))
    except Exception:
        log.exception("unhandled error in idempotent request")
        response = surface.response(DomainError("Internal error.", status=500, code="internal"))
    finally:
        same_transaction.reset(token)

    status = response.status_code
    stored = status < 400 or status >= 500
    content = bytes(response.body) if hasattr(response, "body") else b""
    ctype = response.headers.get("content-type")

    await store_response(runtime, record_id, stored, status, content, ctype)

    return response


async def store_response(
    runtime: Runtime, record_id: int, stored: bool, status: int, content: bytes, ctype: str | None
) -> None:
    """Keep the response for replays, or forget a refused request (it changed nothing)."""

    async def work(session: AsyncSession) -> None:
        match = IdempotencyRecord.id == record_id
        if stored:
            await session.execute(
                update(IdempotencyRecord)
                .where(match)
                .values(
                    state=COMPLETE,
                    status_code=status,
                    response_body=content,
                    content_type=ctype,
                    locked_until=None,
                )
            )
        else:
            await session.execute(delete(IdempotencyRecord).where(match))

    await runtime.db.write(work)


async def purge_expired(session: AsyncSession) -> int:
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= clock.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
