"""The live updates' request and response models (api/live/routes.py)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class StreamTicket(BaseModel):
    """A ticket for one `GET /v1/stream?ticket=…` (a browser's EventSource cannot send a header): it names the
    caller, is signed, is used once, and lapses after `expires_at`."""

    ticket: str
    expires_at: datetime
    stream_url: str
