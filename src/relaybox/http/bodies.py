"""Parsing bodies by hand, for routes that authenticate first or accept form and JSON alike."""

from __future__ import annotations

from typing import Any, TypeVar

import orjson
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from relaybox.errors import InvalidJson, UnsupportedMediaType

M = TypeVar("M", bound=BaseModel)
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def raw_fields(request: Request) -> dict[str, Any]:
    """The body as a dict, from JSON or a form (spec 003 accepts both)."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype.startswith(FORM_TYPES):
        form = await request.form()
        fields: dict[str, Any] = {}
        for key, value in form.multi_items():
            if isinstance(value, str):
                fields[key] = value
        return fields
    if ctype in ("", "application/json") or ctype.endswith("+json"):
        body = await request.body()
        if not body.strip():
            return {}
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise InvalidJson() from None
        if not isinstance(data, dict):
            raise RequestValidationError(
                [{"loc": ("body",), "msg": "Input should be an object", "type": "model_type"}]
            )
        return data
    raise UnsupportedMediaType(f"Unsupported content type {ctype!r}; send JSON or a form.")


def validate(model: type[M], data: dict[str, Any]) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        errors = [{**e, "loc": ("body", *e.get("loc", ()))} for e in err.errors()]
        raise RequestValidationError(errors) from None


async def parse(request: Request, model: type[M]) -> M:
    return validate(model, await raw_fields(request))


def form_or_json(model: type[BaseModel]) -> dict[str, Any]:
    """OpenAPI metadata for a route that reads ``model`` from a form or a JSON body."""
    schema = model.model_json_schema()
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {"schema": schema},
                "application/json": {"schema": schema},
            },
        }
    }
