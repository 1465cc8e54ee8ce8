"""What a request may carry, declared once: every number with a range that fits where it is kept, every text
with a length and without NUL, every page within reach.

These are pydantic constraints, so the OpenAPI document shows them and the server enforces the very same ones.
They follow the commands' own limits (a command checks again: it may be built elsewhere than from a request),
so that a body the document accepts is one its command accepts too, and no value an event may then carry is one
a read table cannot store (a money column is a bigint, a count an integer).

What we decided where the domain is silent:
- money is at most 10¹² cents ($10 billion): far above any salary, fee, price or hold, and a sum of many of
  them still fits a bigint;
- a page number is at most 10,000, so `(page - 1) * limit` (limit ≤ 100) is a small OFFSET;
- NUL (U+0000) is refused in every text: PostgreSQL's text and jsonb cannot hold it. The pattern says so in
  the document; other control characters are the caller's business;
- booleans are strict: JSON `true`/`false` only, never 0, 1 or "yes".
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query
from pydantic import Field, Strict, StrictBool, StringConstraints

MAX_CENTS = 10**12
MAX_PAGE = 10_000
MAX_LIMIT = 100
MAX_COUNT = 2**31 - 1  # what a read table's integer column holds
NO_NUL = r"^[^\x00]*$"
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The shape the identity commands accept (commands/identity/fields.py), with no NUL: one @, a dot in the domain.
EMAIL = r"^[^@\s\x00]+@[^@\s\x00]+\.[^@\s\x00]+$"


def text(max_length: int, *, min_length: int = 1) -> Any:
    """A trimmed text of `min_length`..`max_length` characters without NUL."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length,
                                            pattern=NO_NUL)]


def whole(low: int, high: int) -> Any:
    """A JSON integer (not a string, a float or a boolean) in `low`..`high`."""
    return Annotated[int, Strict(), Field(ge=low, le=high)]


Flag = StrictBool
Cents = Annotated[int, Strict(), Field(ge=0, le=MAX_CENTS, description="integer cents, at most 10¹²")]
PositiveCents = Annotated[int, Strict(), Field(gt=0, le=MAX_CENTS, description="integer cents, at most 10¹²")]
Count = whole(0, MAX_COUNT)

Tag = text(100)
ShortText = text(200)
Name = text(255)
Line = text(500)
Reason = text(2000)
LongText = text(5000)
StripeId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=255, pattern=NO_NUL)]
Slug = Annotated[str, StringConstraints(pattern=SLUG, max_length=100)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320, pattern=EMAIL)]
WebUrl = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500,
                                          pattern=r"^[hH][tT][tT][pP][sS]?://[^\s\x00]+$")]

# Query parameters: every list route takes the same page and limit, every free-text filter the same bounds.
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"1-based, at most {MAX_PAGE}")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
SearchText = Annotated[str | None, Query(max_length=200, pattern=NO_NUL)]
FilterText = Annotated[str | None, Query(max_length=100, pattern=NO_NUL)]
AddressText = Annotated[str | None, Query(max_length=320, pattern=NO_NUL)]
