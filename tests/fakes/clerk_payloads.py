"""Clerk webhook payloads in the shape Clerk sends them, and Svix signatures made the way Svix makes them.

The payloads carry the fields Clerk sends (most of which the endpoint ignores) so the endpoint is tested
against the real format, not against the few fields it reads. No floats: Clerk sends none, and the
events refuse them. Times are milliseconds since the epoch, as in Clerk.

    body = body_of(user_created("user_2abc", "ada@example.com"))
    headers = signed(body, PORTAL_SECRET, "msg_1")
    await client.post("/v2/webhooks/clerk", content=body, headers=headers)
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from svix.webhooks import Webhook

INSTANCE_ID = "ins_2Yt4xEcqJ0Hx7GLdnYzDwlbPhFk"


def new_secret() -> str:
    """A secret in Clerk's format: `whsec_` and base64 of random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def new_msg_id() -> str:
    return "msg_" + secrets.token_hex(13)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def ms(at: datetime) -> int:
    return (at - _EPOCH) // timedelta(milliseconds=1)


def body_of(payload: dict[str, Any]) -> str:
    """The JSON text of a payload, as it goes on the wire (and is signed)."""
    return json.dumps(payload, separators=(",", ":"))


def signed(
    payload: dict[str, Any] | str | bytes,
    secret: str,
    msg_id: str,
    timestamp: datetime | None = None,
    *,
    prefix: str = "svix",
) -> dict[str, str]:
    """The headers Svix sends with `payload` (a dict is signed as `body_of(payload)`).

    `prefix="webhook"` gives the Standard Webhooks names (`webhook-id`, ...), which Svix also accepts.
    """
    timestamp = timestamp or datetime.now(UTC)
    assert timestamp.tzinfo is not None, "sign() takes the datetime as UTC; give an aware one"
    body = body_of(payload) if isinstance(payload, dict) else payload
    text = body.decode() if isinstance(body, bytes) else body
    return {
        f"{prefix}-id": msg_id,
        f"{prefix}-timestamp": str(int(timestamp.timestamp())),
        f"{prefix}-signature": Webhook(secret).sign(msg_id, timestamp, text),
        "content-type": "application/json",
    }


def event(event_type: str, data: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    """The envelope Clerk wraps every event in."""
    return {
        "data": data,
        "event_attributes": {"http_request": {"client_ip": "203.0.113.7", "user_agent": "Mozilla/5.0 (X11; Linux x86_64)"}},
        "instance_id": INSTANCE_ID,
        "object": "event",
        "timestamp": ms(at or datetime.now(UTC)),
        "type": event_type,
    }


def _email(email_id: str, address: str, verified: bool = True) -> dict[str, Any]:
    status = "verified" if verified else "unverified"
    return {
        "email_address": address,
        "id": email_id,
        "linked_to": [],
        "object": "email_address",
        "reserved": False,
        "verification": {"attempts": None, "expire_at": None, "status": status, "strategy": "email_code"},
    }


def user_data(
    clerk_user_id: str,
    email: str | None,
    *,
    first_name: str | None = "Ada",
    last_name: str | None = "Lovelace",
    image_url: str = "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9",
    created_at: datetime,
    updated_at: datetime | None = None,
    other_emails: tuple[str, ...] = (),
    unsafe_metadata: dict[str, Any] | None = None,
    verified: bool = True,
) -> dict[str, Any]:
    """A Clerk user object; `email` is the primary address (listed after `other_emails`, as Clerk may), its
    verification "verified" unless `verified` is False (the other addresses are verified)."""
    addresses = [_email(f"idn_other{i}", e) for i, e in enumerate(other_emails)]
    primary_id = None
    if email is not None:
        primary_id = "idn_" + clerk_user_id.removeprefix("user_")
        addresses.append(_email(primary_id, email, verified))
    return {
        "backup_code_enabled": False,
        "banned": False,
        "create_organization_enabled": True,
        "created_at": ms(created_at),
        "delete_self_enabled": True,
        "email_addresses": addresses,
        "external_accounts": [],
        "external_id": None,
        "first_name": first_name,
        "has_image": False,
        "id": clerk_user_id,
        "image_url": image_url,
        "last_active_at": ms(created_at),
        "last_name": last_name,
        "last_sign_in_at": None,
        "legal_accepted_at": None,
        "locked": False,
        "lockout_expires_in_seconds": None,
        "object": "user",
        "passkeys": [],
        "password_enabled": True,
        "phone_numbers": [],
        "primary_email_address_id": primary_id,
        "primary_phone_number_id": None,
        "primary_web3_wallet_id": None,
        "private_metadata": {},
        "profile_image_url": image_url,
        "public_metadata": {},
        "saml_accounts": [],
        "totp_enabled": False,
        "two_factor_enabled": False,
        "unsafe_metadata": unsafe_metadata or {},
        "updated_at": ms(updated_at or created_at),
        "username": None,
        "verification_attempts_remaining": 100,
        "web3_wallets": [],
    }


def user_created(clerk_user_id: str, email: str | None, *, at: datetime, **fields: Any) -> dict[str, Any]:
    return event("user.created", user_data(clerk_user_id, email, created_at=at, **fields), at)


def user_updated(clerk_user_id: str, email: str, *, created_at: datetime, at: datetime, **fields: Any) -> dict[str, Any]:
    return event("user.updated", user_data(clerk_user_id, email, created_at=created_at, updated_at=at, **fields), at)


def user_deleted(clerk_user_id: str, *, at: datetime) -> dict[str, Any]:
    return event("user.deleted", {"deleted": True, "id": clerk_user_id, "object": "user"}, at)


def session_created(clerk_user_id: str, session_id: str, *, at: datetime) -> dict[str, Any]:
    return event("session.created", {
        "abandon_at": ms(at) + 7 * 24 * 3600 * 1000,
        "actor": None,
        "client_id": "client_" + session_id.removeprefix("sess_"),
        "created_at": ms(at),
        "expire_at": ms(at) + 7 * 24 * 3600 * 1000,
        "id": session_id,
        "last_active_at": ms(at),
        "last_active_organization_id": None,
        "object": "session",
        "status": "active",
        "updated_at": ms(at),
        "user_id": clerk_user_id,
    }, at)


def organization_data(clerk_org_id: str, name: str, slug: str | None, *, at: datetime, by: str | None = None) -> dict[str, Any]:
    return {
        "admin_delete_enabled": True,
        "created_at": ms(at),
        "created_by": by,
        "has_image": False,
        "id": clerk_org_id,
        "image_url": "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9",
        "logo_url": None,
        "max_allowed_memberships": 5,
        "name": name,
        "object": "organization",
        "private_metadata": {},
        "public_metadata": {},
        "slug": slug,
        "updated_at": ms(at),
    }


def organization_created(clerk_org_id: str, name: str, slug: str | None, *, at: datetime, by: str | None = None) -> dict[str, Any]:
    return event("organization.created", organization_data(clerk_org_id, name, slug, at=at, by=by), at)


def organization_updated(clerk_org_id: str, name: str, slug: str | None, *, at: datetime) -> dict[str, Any]:
    return event("organization.updated", organization_data(clerk_org_id, name, slug, at=at), at)


def organization_deleted(clerk_org_id: str, *, at: datetime) -> dict[str, Any]:
    return event("organization.deleted", {"deleted": True, "id": clerk_org_id, "object": "organization"}, at)


def membership(
    action: str, clerk_org_id: str, clerk_user_id: str, role: str, *, at: datetime, org_name: str = "Acme"
) -> dict[str, Any]:
    """organizationMembership.<action> with Clerk's role key (`org:admin`, `org:member`, ...)."""
    data = {
        "created_at": ms(at),
        "id": "orgmem_" + secrets.token_hex(12),
        "object": "organization_membership",
        "organization": organization_data(clerk_org_id, org_name, None, at=at),
        "permissions": [],
        "private_metadata": {},
        "public_metadata": {},
        "public_user_data": {
            "first_name": "Ada",
            "has_image": False,
            "identifier": f"{clerk_user_id}@example.com",
            "image_url": "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9",
            "last_name": "Lovelace",
            "profile_image_url": "https://img.clerk.com/eyJ0eXBlIjoiZGVmYXVsdCJ9",
            "user_id": clerk_user_id,
        },
        "role": role,
        "role_name": "Admin" if role == "org:admin" else "Member",
        "updated_at": ms(at),
    }
    return event(f"organizationMembership.{action}", data, at)
