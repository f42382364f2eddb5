"""The outermost layer: request ids, body size limit, metrics, access log, last-resort errors."""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from relaybox import ids
from relaybox.errors import DomainError, PayloadTooLarge
from relaybox.http.surfaces import surface_for_path
from relaybox.logs import request_id_var
from relaybox.metrics import HTTP_LATENCY, HTTP_REQUESTS

log = logging.getLogger("relaybox.access")
_RID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class _TooLarge(Exception):
    pass


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, *, max_body: int, access_log: bool) -> None:
        self.app = app
        self.max_body = max_body
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        length = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
            elif name == b"content-length":
                length = value
        rid = incoming if incoming and _RID.match(incoming) else ids.new_id("req")
        token = request_id_var.set(rid)
        started = time.perf_counter()
        state: dict[str, Any] = {"status": 500, "sent": False}
        rid_header = (b"x-request-id", rid.encode())

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
                state["sent"] = True
                message["headers"] = [*message.get("headers", []), rid_header]
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise _TooLarge()
            return message

        try:
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                await self._error(
                    scope,
                    send_wrapper,
                    PayloadTooLarge(f"The request body is larger than {self.max_body} bytes."),
                )
            else:
                await self.app(scope, limited_receive, send_wrapper)
        except _TooLarge:
            if not state["sent"]:
                await self._error(
                    scope,
                    send_wrapper,
                    PayloadTooLarge(f"The request body is larger than {self.max_body} bytes."),
                )
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], scope["path"])
            if not state["sent"]:
                await self._error(
                    scope, send_wrapper, DomainError("Internal error.", status=500, code="internal")
                )
        finally:
            elapsed = time.perf_counter() - started
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(scope["method"], template, str(state["status"])).inc()
            HTTP_LATENCY.labels(scope["method"], template).observe(elapsed)
            if self.access_log:
                log.info(
                    "%s %s %s %.1fms",
                    scope["method"],
                    scope["path"],
                    state["status"],
                    elapsed * 1000,
                    extra={"status": state["status"], "duration_ms": round(elapsed * 1000, 2)},
                )
            request_id_var.reset(token)

    async def _error(self, scope: Scope, send: Send, err: DomainError) -> None:
        status, body = surface_for_path(scope["path"]).render(err, request_id_var.get())
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": orjson.dumps(body)})
