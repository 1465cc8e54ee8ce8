"""Field types shared by the identity commands: checked when a command is built, never in events."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def normalize_email(value: str) -> str:
    """Emails are compared and stored lowercased (domain §3.1)."""
    email = value.strip().lower()
    if not _EMAIL.fullmatch(email):
        raise ValueError("not an email address")
    return email


Actor = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Email = Annotated[str, AfterValidator(normalize_email)]
Slug = Annotated[str, StringConstraints(pattern=_SLUG, max_length=100)]
