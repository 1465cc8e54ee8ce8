"""Resend's webhook payloads, read (issue 20 item 6): which we act on and what they say.

Resend sends `{type, created_at, data}`; for the email events `data` holds `email_id` (the id `Emails.send`
answered, our `EmailSent.provider_message_id`), `from`, `to` (a list), `subject`, `created_at`, and on
`email.bounced` a `bounce` with `type` (`Permanent`, `Transient` or `Undetermined`), `subType` and `message`.
Fields we do not use (subject, from, tags, broadcast_id, headers, click and open details) are ignored and not
recorded (`recorded_part`).

Acted on: `email.sent`, `email.delivered`, `email.delivery_delayed`, `email.bounced`, `email.complained`.
Not recorded at all: `email.opened`, `email.clicked` (we do not track engagement) and every other type.
A bounce is hard only when Resend calls it `Permanent`: a transient or undetermined one (a full mailbox, a
server that answered later) is soft and suppresses nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from commands.notifications.delivery_events import BounceType, DeliveryStatus

ACTED_ON: dict[str, DeliveryStatus] = {
    "email.sent": "sent",
    "email.delivered": "delivered",
    "email.delivery_delayed": "delivery_delayed",
    "email.bounced": "bounced",
    "email.complained": "complained",
}
MAX_RECIPIENTS = 50  # Resend's own limit per email


class Unreadable(ValueError):
    """A body that is not a Resend event we can record (not JSON, floats, the wrong shape for its type)."""


class _Shape(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Bounce(_Shape):
    type: str = Field(min_length=1, max_length=100)
    sub_type: str | None = Field(default=None, alias="subType", max_length=100)
    message: str | None = Field(default=None, max_length=2000)


class EmailData(_Shape):
    email_id: str = Field(min_length=1, max_length=200)
    to: list[str] = Field(min_length=1, max_length=MAX_RECIPIENTS)
    bounce: Bounce | None = None

    @field_validator("to", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("to")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        if any("@" not in a or len(a) > 320 for a in value):
            raise ValueError("every recipient is an email address")
        return value


class Envelope(_Shape):
    type: str = Field(min_length=1, max_length=100)
    created_at: str | None = None
    data: dict[str, Any]


@dataclass(frozen=True)
class Report:
    """What one recorded payload says about one email."""

    status: DeliveryStatus
    email_id: str
    to: tuple[str, ...]
    bounce_type: BounceType | None
    detail: str | None


def _refuse(text: str) -> Any:
    raise ValueError(f"{text} is not allowed: the events store no floats")


def envelope(body: bytes) -> tuple[Envelope, dict[str, Any]]:
    """The envelope and the payload as a dict; Unreadable when it is not a Resend event at all."""
    try:
        raw = json.loads(body, parse_float=_refuse, parse_constant=_refuse)
    except ValueError as exc:
        raise Unreadable(f"the body is not acceptable JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise Unreadable("the body is not a JSON object")
    try:
        return Envelope.model_validate(raw), raw
    except ValidationError as exc:
        raise Unreadable(f"the body is not a Resend event: {errors_of(exc)}") from exc


def read(raw: dict[str, Any]) -> Report | None:
    """The report in a payload of a type we act on (None for the others); Unreadable when its shape is wrong."""
    try:
        event = Envelope.model_validate(raw)
        status = ACTED_ON.get(event.type)
        if status is None:
            return None
        data = EmailData.model_validate(event.data)
    except ValidationError as exc:
        raise Unreadable(f"the {raw.get('type')} payload is not readable: {errors_of(exc)}") from exc
    bounce_type: BounceType | None = None
    detail = None
    if status == "bounced":
        if data.bounce is None:
            raise Unreadable("an email.bounced payload without its bounce")
        bounce_type = "hard" if data.bounce.type == "Permanent" else "soft"
        detail = " · ".join(p for p in (data.bounce.sub_type, data.bounce.message) if p) or None
    return Report(status, data.email_id, tuple(data.to), bounce_type, detail)


RECORDED_DATA = ("email_id", "to", "created_at", "bounce")


def recorded_part(raw: dict[str, Any]) -> dict[str, Any]:
    """What is recorded of a payload we act on: its type and time, and of its `data` only what `read` and the
    process manager use. Not the subject, the sender, tags or headers: a subject names the person an email is
    about ("Hired: Cami Candidate · …"), who is not its recipient, and the record is sealed under the
    recipient's address, where erasing the person named would not reach it."""
    data = raw.get("data") if isinstance(raw.get("data"), dict) else {}
    return {**{k: raw[k] for k in ("type", "created_at") if k in raw},
            "data": {k: data[k] for k in RECORDED_DATA if k in data}}


def suppresses(report: Report) -> Literal["bounced", "complained"] | None:
    """Why this report stops email to its recipients: a hard bounce or a complaint; nothing else does."""
    if report.status == "bounced" and report.bounce_type == "hard":
        return "bounced"
    return "complained" if report.status == "complained" else None


def errors_of(exc: ValidationError) -> str:
    """Where and what, without the input (which may be a person's data)."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in exc.errors(include_input=False))
