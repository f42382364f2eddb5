"""Webhook bodies for SMS events, in the shape of the surface the message came from."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from relaybox.domain import money, status
from relaybox.messaging.models import InboundMessage, Message


def iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def cost(message: Message) -> float:
    return money.Money(message.price, message.currency).as_float()


def status_event(message: Message) -> dict[str, Any]:
    """The body of an ``sms.status`` webhook."""
    if message.surface == "smsvoip":  # spec 001: delivery_report
        return {
            "event": "delivery_report",
            "message_id": message.id,
            "status": status.to_spec001(message.status),
            "delivered_at": iso(message.delivered_at),
            "cost": cost(message),
            "currency": message.currency,
            "error_code": message.error_code,
            "to": message.to,
            "from": message.sender,
        }
    if message.surface == "verify":  # spec 003: the request's delivery receipt
        return {
            "requestId": message.id,
            "number": message.to,
            "mccmnc": message.mccmnc,
            "country": message.country,
            "status": status.to_spec003(message.status),
            "timestamp": int(message.updated_at.timestamp()),
            "errorCode": message.error_code,
        }
    if message.surface == "usecase":  # spec 002
        return {
            "id": message.id,
            "message_sid": message.carrier_message_id,
            "status": status.to_spec002(message.status),
            "to_number": message.to,
            "from_number": message.sender,
            "num_segments": message.segments,
            "handed_off_at": iso(message.handed_off_at),
            "delivered_at": iso(message.delivered_at),
            "errored_at": iso(message.errored_at),
            "error_code": message.error_code,
            "updated_at": iso(message.updated_at),
        }
    return {
        "event": "sms.status",
        "id": message.id,
        "project_id": message.project_id,
        "status": message.status,
        "to": message.to,
        "from": message.sender,
        "segments": message.segments,
        "price": cost(message),
        "currency": message.currency,
        "error_code": message.error_code,
        "error_message": message.error_message,
        "handed_off_at": iso(message.handed_off_at),
        "delivered_at": iso(message.delivered_at),
        "errored_at": iso(message.errored_at),
        "stubbed": message.test,
        "timestamp": iso(message.updated_at),
    }


def inbound_event(message: InboundMessage) -> dict[str, Any]:
    """The body of an ``sms.inbound`` webhook: spec 003's inbound shape, plus our fields."""
    return {
        "event": "sms.inbound",
        "messageId": message.id,
        "from": message.sender.lstrip("+"),
        "to": message.to.lstrip("+"),
        "text": message.body,
        "timestamp": int(message.received_at.timestamp()),
        "parts": message.parts,
        "keyword": message.keyword,
        "project_id": message.project_id,
    }
