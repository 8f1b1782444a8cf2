"""SLA calendars and policies as the API reads and writes them. Times of day are minutes (0-1440);
targets are business seconds on their calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from vigil.core.schemas import Collection

#: A name is part of its URL (`/api/v1/sla/calendars/{name}`): no slash, no NUL.
NAME_PATTERN = r"^[^\x00/]*$"
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120, pattern=NAME_PATTERN)
]
#: [start, end) minutes of the local day; end up to 1440 (24:00).
Interval = Annotated[list[int], Field(min_length=2, max_length=2)]
#: Seven lists of intervals, Monday first.
Week = Annotated[list[list[Interval]], Field(min_length=7, max_length=7)]
Version = Annotated[
    int | None, Field(default=None, ge=1, description="The version read (as If-Match): a newer one is a 412.")
]
PRIORITIES = ("P1", "P2", "P3", "P4")


class CalendarFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timezone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = "UTC"
    week: Week
    country: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=8)] = Field(
        default=None, description="Public holidays of this country (ISO 3166 code), from `holidays`."
    )
    subdivision: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=16)] = None
    extra_holidays: list[date] = Field(default_factory=list, description="Further whole days off.")
    half_days: dict[date, list[Interval]] = Field(
        default_factory=dict, description="Days with their own working intervals."
    )


class CalendarCreate(CalendarFields):
    name: Name


class CalendarUpdate(BaseModel):
    """A change: only the fields given are changed (the name is not: policies refer to it)."""

    model_config = ConfigDict(extra="forbid")

    timezone: Annotated[str | None, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = (
        None
    )
    week: Week | None = None
    country: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=8)] = None
    subdivision: Annotated[str | None, StringConstraints(strip_whitespace=True, max_length=16)] = None
    extra_holidays: list[date] | None = None
    half_days: dict[date, list[Interval]] | None = None
    version: Version = None


class CalendarRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    timezone: str
    week: list[list[list[int]]]
    country: str | None
    subdivision: str | None
    extra_holidays: list[date]
    half_days: dict[str, list[list[int]]]
    builtin: bool
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Bumped by every change; the ETag, for If-Match.")


class CalendarPage(Collection[CalendarRead]):
    """Every calendar, by name."""


class Span(BaseModel):
    """One working span: local wall times and the same instants in UTC."""

    start: datetime
    end: datetime
    start_utc: datetime
    end_utc: datetime
    seconds: int


class PreviewDay(BaseModel):
    date: date
    weekday: str
    holiday: bool
    spans: list[Span]
    seconds: int


class WeekPreview(BaseModel):
    calendar: str
    timezone: str
    start: date
    days: list[PreviewDay]
    seconds: int


class Target(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: int = Field(gt=0, description="Business seconds to the first response.")
    resolution: int = Field(gt=0, description="Business seconds to resolution.")
    calendar: Name


class Conditions(BaseModel):
    """Each list given must match the record; none given matches every record."""

    model_config = ConfigDict(extra="forbid")

    priority: list[str] | None = None
    category: list[str] | None = None
    ci: list[str] | None = None
    team: list[str] | None = None


class PolicyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    position: int = Field(default=100, ge=0, le=1_000_000)
    active: StrictBool = True
    conditions: Conditions = Field(default_factory=Conditions)
    targets: dict[str, Target] = Field(description="Per priority (P1..P4).")


class PolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    position: int | None = Field(default=None, ge=0, le=1_000_000)
    active: StrictBool | None = None
    conditions: Conditions | None = None
    targets: dict[str, Target] | None = None
    version: Version = None


class PolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    position: int
    active: bool
    conditions: dict[str, list[str]]
    targets: dict[str, Target]
    builtin: bool
    created_at: datetime
    updated_at: datetime
    version: int = Field(description="Bumped by every change; the ETag, for If-Match.")


class PolicyPage(Collection[PolicyRead]):
    """Every policy, in the order they are tried (position, then name)."""
