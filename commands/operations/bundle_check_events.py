"""An audit bundle checked in the operator console, recorded on `bundlecheck-<the bundle's SHA-256>`: every check
of the same file is on one stream, whoever made it and whatever the verdict."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from commands.core import Event


class AuditBundleVerified(Event):
    """An operator uploaded a bundle and the console ran `splits audit verify` on it against this deployment's
    public key. `placement_id` is the one its manifest names when that could be read (a tampered bundle may
    name any); `problems` are the first of the verdict's reasons, as the verifier wrote them."""

    check_id: UUID
    bundle_sha256: str
    bundle_bytes: int
    placement_id: UUID | None
    ok: bool
    problem_count: int
    problems: tuple[str, ...]
    public_key: str
    operator: str
    at: datetime
