"""Sending email: through Resend when `RESEND_API_KEY` is set, otherwise (or with `SPLITS_EMAIL=mailbox`, the
only way production starts without Resend: adapters/startup.py) into the local mailbox.

The mailbox is not a place of its own: every email sent is recorded as an `EmailSent` event with its subject
and bodies, so the mailbox (`GET /dev/mailbox`) is the read model of the emails whose provider is `mailbox`.

Every send carries an idempotency key (the source event, the recipient, the template), which Resend keeps
for a day: a retried reactor never sends the same email twice. A refusal that retrying cannot change (a bad
address, a validation error) raises `MailRefused`; anything else (5xx, rate limits, the network) raises
`MailUnavailable`, and the same send may be tried again with the same key.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol

import httpx
import resend
from resend.exceptions import RateLimitError, ResendError

from adapters.settings import Settings
from adapters.startup import email_to_mailbox
from adapters.tracing import traced


class MailRefused(Exception):
    """The provider refused this email for good."""


class MailUnavailable(Exception):
    """The provider could not take the email now; try again later with the same key."""


@dataclass(frozen=True)
class Email:
    sender: str
    to: str
    subject: str
    html: str
    text: str
    headers: Mapping[str, str] | None = None  # e.g. List-Unsubscribe (RFC 2369, RFC 8058)


class Mailer(Protocol):
    provider: Literal["resend", "mailbox"]

    async def send(self, email: Email, key: str) -> str:
        """Send (once per key); returns the provider's message id."""
        ...


class ResendMailer:
    provider: Literal["resend", "mailbox"] = "resend"

    def __init__(self, api_key: str, api_url: str | None = None) -> None:
        # The SDK keeps both in module globals: there is one Resend account per process.
        resend.api_key = api_key
        if api_url:
            resend.api_url = api_url

    async def send(self, email: Email, key: str) -> str:
        params: resend.Emails.SendParams = {"from": email.sender, "to": [email.to], "subject": email.subject,
                                            "html": email.html, "text": email.text}
        if email.headers:
            params["headers"] = dict(email.headers)
        try:
            answer = await resend.Emails.send_async(params, {"idempotency_key": key})
        except RateLimitError as exc:
            raise MailUnavailable(f"Resend is rate limiting: {exc.message}") from exc
        except ResendError as exc:
            status = int(exc.code) if str(exc.code).isdigit() else 500
            if 400 <= status < 500 and status not in (408, 409, 429):
                raise MailRefused(f"Resend refused the email ({status}): {exc.message}") from exc
            raise MailUnavailable(f"Resend failed ({status}): {exc.message}") from exc
        except httpx.HTTPError as exc:
            raise MailUnavailable(f"Resend could not be reached: {exc!r}") from exc
        return str(answer["id"])


class MailboxMailer:
    """No provider: the email is 'sent' by being recorded (see the module docstring)."""

    provider: Literal["resend", "mailbox"] = "mailbox"

    async def send(self, email: Email, key: str) -> str:
        return "mailbox-" + hashlib.sha256(key.encode()).hexdigest()[:24]


def mailer_for(settings: Settings) -> Mailer:
    """Resend or the mailbox, each send in a client span when tracing is on (adapters/tracing.py)."""
    if email_to_mailbox(settings) or settings.resend_api_key is None:
        return traced("mailbox", MailboxMailer())
    return traced("resend", ResendMailer(settings.resend_api_key.get_secret_value(), settings.resend_api_url))
