"""Resend's webhook deliveries, as Resend sends them: the payload of an email event (built from an email the
fake Resend stored, so its `email_id` is the id `Emails.send` answered) signed the way Svix signs it, with the
real `svix` library.

Resend's shape: `{"type": "email.bounced", "created_at": "…Z", "data": {"email_id", "from", "to": [...],
"subject", "created_at", "tags"?, "bounce"?: {"message", "subType", "type"}}}`; `bounce.type` is `Permanent`
(hard), `Transient` or `Undetermined` (soft). Headers: `svix-id` (`msg_…`), `svix-timestamp` (seconds),
`svix-signature` (`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`).

    secret = new_secret()
    body, headers = signed(bounced(resend.sent[-1]), secret)
    await client.post("/webhooks/resend", content=body, headers=headers)
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from svix.webhooks import Webhook

Obj = dict[str, Any]


def new_secret() -> str:
    """A signing secret in Resend's (Svix's) format: `whsec_` and base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_msg_id() -> str:
    return "msg_" + secrets.token_hex(13)


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def email_event(event_type: str, sent: Obj, *, at: datetime | None = None, **extra: Any) -> Obj:
    """The payload Resend sends about `sent` (an email as `FakeResend.sent` holds it)."""
    return {
        "type": event_type,
        "created_at": _iso(at or datetime.now(UTC)),
        "data": {
            "created_at": sent["created_at"],
            "email_id": sent["id"],
            "from": sent["from"],
            "to": list(sent["to"]),
            "subject": sent["subject"],
            **({"tags": sent["tags"]} if sent.get("tags") else {}),
            **extra,
        },
    }


def delivered(sent: Obj, **kw: Any) -> Obj:
    return email_event("email.delivered", sent, **kw)


def bounced(sent: Obj, kind: str = "Permanent", sub_type: str = "General", *, at: datetime | None = None) -> Obj:
    """A bounce: `Permanent` (hard), `Transient` or `Undetermined` (soft), with Resend's subtype and message."""
    message = ("The recipient's email provider sent a hard bounce message, but didn't specify the reason for the "
               "hard bounce." if kind == "Permanent" else
               "The recipient's email provider sent a general bounce message. You might be able to send a message "
               "to the same recipient in the future if the issue that caused the message to bounce is resolved.")
    return email_event("email.bounced", sent, at=at, bounce={"message": message, "subType": sub_type, "type": kind})


def complained(sent: Obj, **kw: Any) -> Obj:
    return email_event("email.complained", sent, **kw)


def opened(sent: Obj, **kw: Any) -> Obj:
    return email_event("email.opened", sent, **kw)


def body_of(payload: Obj) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def signed(payload: Obj | bytes, secret: str, msg_id: str | None = None,
           at: datetime | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and the headers Svix sends it with."""
    body = payload if isinstance(payload, bytes) else body_of(payload)
    msg_id, at = msg_id or new_msg_id(), at or datetime.now(UTC)
    return body, {
        "svix-id": msg_id,
        "svix-timestamp": str(int(at.timestamp())),
        "svix-signature": Webhook(secret).sign(msg_id, at, body.decode()),
        "content-type": "application/json",
    }
