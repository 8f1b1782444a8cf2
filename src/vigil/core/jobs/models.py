"""Job and periodic-schedule tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from vigil.core.db import Base, UUIDPk


class JobStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Job(UUIDPk, Base):
    __tablename__ = "job"
    # ix_job_due finds pending work by due time, ix_job_lease running work whose lease has lapsed.
    __table_args__ = (Index("ix_job_due", "status", "run_at"), Index("ix_job_lease", "status", "lease_until"))

    name: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.PENDING)
    run_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(80))
    locked_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class PeriodicSchedule(Base):
    """Next due time of each periodic task, stored so restarts lose nothing."""

    __tablename__ = "periodic_schedule"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    next_run_at: Mapped[datetime]
    last_run_at: Mapped[datetime | None]


__all__ = ["Job", "JobStatus", "PeriodicSchedule", "uuid"]
