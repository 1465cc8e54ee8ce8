"""What the candidate and company sourcer routes share: the terms of a claim and how a sourcer reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.ats.models import ClaimSourcerBody, SourcerOut
from commands.ats.sourcer import is_protected
from commands.core import Forbidden
from projections.identity.access import Access

# What a recruiter may say about their own claim; the rest (who, when, how long) is a platform admin's.
_RECRUITER_FIELDS = frozenset({"sourcer_type", "sourcer_recruiter_id", "source_method", "notes"})


def claim_terms(body: ClaimSourcerBody, access: Access) -> dict[str, Any]:
    """The claim as sent by a platform admin; for anyone else, a claim for themself on the usual terms
    (whether they may claim at all is the policy's to say)."""
    if access.is_platform_admin:
        return body.model_dump(exclude_unset=True)
    if extra := sorted(body.model_fields_set - _RECRUITER_FIELDS):
        raise Forbidden(f"only a platform admin may set {', '.join(extra)} of a sourcer claim")
    if body.sourcer_type != "recruiter":
        raise Forbidden("only a platform admin may record the platform as the sourcer")
    return {"sourcer_type": "recruiter", "sourcer_recruiter_id": body.sourcer_recruiter_id or access.recruiter_id,
            "source_method": body.source_method, "notes": body.notes}


def sourcer_out(row: dict[str, Any], now: datetime) -> SourcerOut:
    return SourcerOut(
        sourcer_type=row["sourcer_type"], sourcer_recruiter_id=row["sourcer_recruiter_id"],
        source_method=row["source_method"], sourced_at=row["sourced_at"],
        protection_window_days=row["protection_window_days"], protection_expires_at=row["protection_expires_at"],
        protected=is_protected(row["protection_expires_at"], now), notes=row["notes"],
    )
