"""Pydantic shapes of the SLA compliance report: its filter (metric, start dates) and its rows."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator


def _iso_day(value: object) -> object:
    """Only a day as YYYY-MM-DD (or a date): Pydantic would read `0` as 1970-01-01, a Unix timestamp."""
    if isinstance(value, date) or (isinstance(value, str) and len(value) == 10 and value[4] == "-"):
        return value
    raise ValueError("expected a day as YYYY-MM-DD, such as 2026-11-23")


#: A calendar day (UTC) of a report filter.
Day = Annotated[date, BeforeValidator(_iso_day)]


class Metric(StrEnum):
    RESPONSE = "response"
    RESOLUTION = "resolution"


class Dimension(StrEnum):
    PRIORITY = "priority"
    TEAM = "team"
    MONTH = "month"


class SlaReportFilter(BaseModel):
    """Which clocks the report counts: one metric, started (UTC) between `from` and `to`, both inclusive."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, serialize_by_alias=True)

    metric: Metric = Metric.RESOLUTION
    from_: Day | None = Field(default=None, alias="from", description="First start day (UTC), inclusive.")
    to: Day | None = Field(default=None, description="Last start day (UTC), inclusive.")

    @model_validator(mode="after")
    def _ordered(self) -> Any:
        if self.from_ and self.to and self.from_ > self.to:
            raise ValueError("'from' must not be after 'to'")
        return self


class SlaReportRow(BaseModel):
    """One group: clocks met and breached (the percentage is of these two), and those still open."""

    dimension: Dimension
    key: str = Field(description="The priority (P1), team name ('No team' for none) or month (2026-11).")
    met: int
    breached: int
    open: int = Field(description="Running or paused, not yet breached: not in percent_met.")
    percent_met: float | None = Field(
        description="met / (met + breached), 0-100 to one decimal; null if none."
    )


class SlaReport(BaseModel):
    metric: Metric
    from_: date | None = Field(default=None, alias="from", serialization_alias="from")
    to: date | None = None
    rows: list[SlaReportRow]

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)

    def of(self, dimension: Dimension | str) -> list[SlaReportRow]:
        """The rows of one dimension, in the report's order."""
        return [r for r in self.rows if r.dimension == dimension]
