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
- booleans are strict: JSON `true`/`false` only, never 0, 1 or "yes";
- an integer is a JSON number without a fraction: `3` or `3.0` (JSON Schema's `integer` admits both), never
  `"3"`, `3.5` or `true`;
- a percentage is a JSON number with at most 2 decimal places (`multipleOf: 0.01`), never a string;
- a date is `YYYY-MM-DD` and a date-time an RFC 3339 text with its offset, never a number (which pydantic
  would otherwise read as seconds since 1970).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Query
from pydantic import AwareDatetime, BeforeValidator, Field, Strict, StrictBool, StringConstraints, WithJsonSchema

MAX_CENTS = 10**12
MAX_PAGE = 10_000
MAX_LIMIT = 100
MAX_COUNT = 2**31 - 1  # what a read table's integer column holds
NO_NUL = r"^[^\x00]*$"
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# The shape the identity commands accept (commands/identity/fields.py), with no NUL: one @, a dot in the domain,
# no white space. Spelled out: Python's `\s` (the command's) also takes \x1c-\x1f and \x85, ECMA-262's (a
# client's) also takes U+FEFF; neither is in an address either side accepts.
_NOT_IN_EMAIL = r"@\s\x00\x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
EMAIL = rf"^[^{_NOT_IN_EMAIL}]+@[^{_NOT_IN_EMAIL}]+\.[^{_NOT_IN_EMAIL}]+$"


def text(max_length: int, *, min_length: int = 1) -> Any:
    """A trimmed text of `min_length`..`max_length` characters without NUL."""
    return Annotated[str, StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length,
                                            pattern=NO_NUL)]


def _whole_float(value: Any) -> Any:
    """`3.0` is the integer 3 in JSON (and in JSON Schema); `3.5` stays a float, for the strict check to refuse."""
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def whole(low: int, high: int, **field: Any) -> Any:
    """A JSON integer (not a string, a fraction or a boolean) in `low`..`high`."""
    return Annotated[int, Strict(), Field(ge=low, le=high, **field), BeforeValidator(_whole_float)]


def _percentage(value: Any) -> Any:
    """A JSON number as the decimal it spells (22.5 is 22.5, not its binary neighbour); a text is refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise ValueError("a percentage is a JSON number, e.g. 20 or 22.5")
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def percentage(**field: Any) -> Any:
    """A percentage, 0..100 with at most 2 decimal places: a JSON number, never a string."""
    return Annotated[Decimal, BeforeValidator(_percentage), Field(ge=0, le=100, decimal_places=2, **field),
                     WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01,
                                     **({"description": field["description"]} if "description" in field else {})})]


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ISO_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ].+")


def _iso(pattern: re.Pattern[str], kind: type, shape: str) -> Any:
    def check(value: Any) -> Any:
        if isinstance(value, kind) or (isinstance(value, str) and pattern.fullmatch(value.strip())):
            return value
        raise ValueError(f"{shape}, not a number")
    return check


# Dates and moments: ISO texts only (pydantic alone would take 0 or "0" as 1970-01-01).
Day = Annotated[date, BeforeValidator(_iso(_ISO_DATE, date, "a date as YYYY-MM-DD"))]
Moment = Annotated[AwareDatetime, BeforeValidator(
    _iso(_ISO_DATETIME, datetime, "a date-time as YYYY-MM-DDTHH:MM:SS with its offset (RFC 3339)"))]


Flag = StrictBool
Cents = whole(0, MAX_CENTS, description="integer cents, at most 10¹²")
PositiveCents = whole(1, MAX_CENTS, description="integer cents, at most 10¹²")
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
