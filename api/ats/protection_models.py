"""The answer of the sourcer protection checks (api/ats/sourcer_protection.py), per audience."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field


class ProtectionOut(BaseModel):
    """Whether a candidate or company is protected by a sourcer now (their sourcer would earn the sourcer share
    of a placement made now). Who the sourcer is, and since when, is shown to that sourcer and to platform
    admins only: anyone else learns that the protection exists and until when."""

    protected: bool
    protection_expires_at: datetime | None
    yours: bool = Field(description="whether you are the protected sourcer")
    sourcer_recruiter_id: UUID | None = None
    sourced_at: datetime | None = None


class ProtectionEnvelope(BaseModel):
    data: ProtectionOut
