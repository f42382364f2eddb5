"""The baseline: a bare FastAPI endpoint with the same request and response shape as the native
send, doing no work (no auth, no database). relaybox's send is measured against it."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

app = FastAPI()
_counter = itertools.count()


class SendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    to: str = Field(max_length=32)
    from_: str | None = Field(default=None, alias="from", max_length=32)
    body: str = Field(max_length=5000)


class SendOut(BaseModel):
    id: str
    status: str
    stubbed: bool
    to: str
    body: str
    created_at: datetime


@app.post("/v1/projects/{project_id}/sms/send", status_code=201, response_model=SendOut)
async def send(project_id: str, body: SendIn) -> Any:
    return SendOut(
        id=f"sms_{next(_counter)}",
        status="accepted",
        stubbed=True,
        to=body.to,
        body=body.body,
        created_at=datetime.now(UTC),
    )
