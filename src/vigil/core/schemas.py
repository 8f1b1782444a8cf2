"""Shared Pydantic building blocks: text without NUL bytes (PostgreSQL rejects them), references."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Strict, StringConstraints

NO_NUL = r"^[^\x00]*$"

#: A short single-purpose string such as a title: trimmed, 1-200 characters.
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
]
#: Free text such as a description or a note.
LongText = Annotated[str, StringConstraints(max_length=20000, pattern=NO_NUL)]
#: Non-empty free text (a comment, resolution notes).
RequiredText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000, pattern=NO_NUL)
]
#: A reference to another record: its UUID, or a human key (email, name, number).
Ref = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=254, pattern=NO_NUL)]
Tag = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_lower=True, min_length=1, max_length=50, pattern=r"^[^\x00,]*$"
    ),
]


#: JSON booleans only: `0`, `1`, `"yes"` are refused rather than guessed.
StrictBool = Annotated[bool, Strict()]

_NUMBER = re.compile(r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$")


def _not_a_number(value: object) -> object:
    """Pydantic reads numbers as Unix timestamps; a filter like `created_before=0.5` is a mistake."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("expected an ISO 8601 date or time, such as 2026-11-23 or 2026-11-23T09:30:00Z")
    return value


def _as_utc(value: datetime) -> datetime:
    """A time without an offset is read as UTC; others are converted to it."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise ValueError("time out of range") from exc


#: A point in time for filters: any ISO 8601 time, normalised to UTC (no offset means UTC).
UtcTime = Annotated[datetime, BeforeValidator(_not_a_number), AfterValidator(_as_utc)]
