"""Shared Pydantic building blocks: text without NUL bytes (PostgreSQL rejects them), references."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, Strict, StringConstraints
from pydantic_core import PydanticCustomError

NO_NUL = r"^[^\x00]*$"
ItemT = TypeVar("ItemT")


def _trimmed(value: str) -> str:
    """Surrounding whitespace dropped after the length checks, so the schema's limits are what is
    enforced (a padded over-long value is refused, as the schema says); blank is not a value."""
    value = value.strip()
    if not value:
        # Pydantic's own type and words, so a blank value reads like an empty one everywhere.
        raise PydanticCustomError(
            "string_too_short", "String should have at least 1 character", {"min_length": 1}
        )
    return value


def _tag(value: str) -> str:
    return _trimmed(value).lower()


#: A short single-purpose string such as a title: trimmed, 1-200 characters.
ShortText = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=NO_NUL), AfterValidator(_trimmed)
]
#: Free text such as a description or a note.
LongText = Annotated[str, StringConstraints(max_length=20000, pattern=NO_NUL)]
#: Non-empty free text (a comment, resolution notes).
RequiredText = Annotated[
    str, StringConstraints(min_length=1, max_length=20000, pattern=NO_NUL), AfterValidator(_trimmed)
]
#: A reference to another record: its UUID, or a human key (email, name, number).
Ref = Annotated[
    str, StringConstraints(min_length=1, max_length=254, pattern=NO_NUL), AfterValidator(_trimmed)
]
Tag = Annotated[
    str, StringConstraints(min_length=1, max_length=50, pattern=r"^[^\x00,]*$"), AfterValidator(_tag)
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


class Collection(BaseModel, Generic[ItemT]):
    """Every list answer: a page of `items`, the cursor of the next page (null on the last), and with
    `?count=true` the total (`count_exact` false when it is PostgreSQL's estimate beyond 10,000)."""

    items: list[ItemT]
    next_cursor: str | None = None
    count: int | None = None
    count_exact: bool | None = None


class ListQuery(BaseModel):
    """The query every list takes: a page size, where to continue, and whether to count."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=50, ge=1, le=200, description="Items per page.")
    cursor: Ref | None = Field(default=None, description="`next_cursor` of the previous page.")
    count: bool = Field(default=False, description="Also return the total (exact up to 10,000).")


class ListSort(StrEnum):
    """The order of a list: its natural one (by name, or display order) or by last change."""

    DEFAULT = "default"
    UPDATED_AT = "updated_at"


class SyncQuery(ListQuery):
    """A list a sync client can follow: what changed since its last run, oldest change first."""

    updated_after: UtcTime | None = Field(
        default=None, description="Only what changed at or after this time (with sort=updated_at)."
    )
    sort: ListSort = Field(default=ListSort.DEFAULT, description="`updated_at`: oldest change first.")
