"""SLA tables: calendars, policies, and the clocks (one narrow row per record and metric) with their
event history. Nothing here knows which kind of record a clock runs for: `record_type` names it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from vigil.core import clock
from vigil.core.db import Base, UUIDPk


class SlaCalendar(UUIDPk, Base):
    """When the clock runs: an IANA time zone, working intervals per weekday, holidays."""

    __tablename__ = "sla_calendar"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    #: Seven lists (Monday first) of [start, end] minutes of the local day, end up to 1440 (24:00).
    week: Mapped[list[Any]] = mapped_column(JSON)
    #: Public holidays of this country (and subdivision), from the `holidays` package; None for none.
    country: Mapped[str | None] = mapped_column(String(8))
    subdivision: Mapped[str | None] = mapped_column(String(16))
    #: Further whole days off, ISO dates.
    extra_holidays: Mapped[list[Any]] = mapped_column(JSON, default=list)
    #: Days with their own working intervals (a half-day): {ISO date: [[start, end], ...]}.
    half_days: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    builtin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class SlaPolicy(UUIDPk, Base):
    """Targets per priority, each on a calendar; the first active policy (by position) whose conditions
    all match a record applies to it."""

    __tablename__ = "sla_policy"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(default=True)
    #: {"priority": [...], "category": [...], "ci": [ids], "team": [ids]}: each given list must match.
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: {priority: {"response": seconds, "resolution": seconds, "calendar": calendar name}}.
    targets: Mapped[dict[str, Any]] = mapped_column(JSON)
    builtin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}


class SlaClock(UUIDPk, Base):
    """One metric (response or resolution) of one record. The policy's targets and the calendar are
    snapshotted when the clock starts, so editing them later never rewrites history.

    The business time used is `used_seconds` plus, while running, the business time since
    `running_since`. `next_alert_at` is when the next threshold (`next_alert_percent`) falls due; the
    worker finds due alerts through its index, never by scanning open records."""

    __tablename__ = "sla_clock"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", "metric"),
        Index("ix_sla_clock_next_alert_at", "next_alert_at"),
        Index("ix_sla_clock_due_at", "record_type", "due_at"),
    )

    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[uuid.UUID]
    metric: Mapped[str] = mapped_column(String(20))
    #: running | paused | stopped
    state: Mapped[str] = mapped_column(String(12))
    policy_id: Mapped[uuid.UUID | None]
    policy_name: Mapped[str] = mapped_column(String(120))
    #: The policy's targets for every priority, as they were at the start (a priority change reads them).
    targets: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: The calendars those targets name, as they were at the start: {name: calendar definition}.
    calendars: Mapped[dict[str, Any]] = mapped_column(JSON)
    priority: Mapped[str] = mapped_column(String(8))
    target_seconds: Mapped[int]
    calendar_name: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[datetime]
    running_since: Mapped[datetime | None]
    used_seconds: Mapped[int] = mapped_column(default=0)
    paused_since: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(default=0)
    stopped_at: Mapped[datetime | None]
    due_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    next_alert_at: Mapped[datetime | None]
    next_alert_percent: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class SlaClockEvent(UUIDPk, Base):
    """Everything that happened to a clock (start, pause, resume, stop, restart, retarget, warning,
    breach), so due times can be recomputed from history after a policy or calendar fix."""

    __tablename__ = "sla_clock_event"
    __table_args__ = (Index("ix_sla_clock_event_clock", "clock_id", "at"),)

    clock_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sla_clock.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: Set when the event is made, so that one flush always writes a new clock before its events (the
    #: unit of work orders tables by their relationships, not by their foreign keys).
    clock: Mapped[SlaClock] = relationship(lazy="raise")
