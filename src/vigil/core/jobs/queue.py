"""Enqueue, claim and settle jobs. Claiming uses FOR UPDATE SKIP LOCKED on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from vigil.core import clock
from vigil.core.jobs.models import Job, JobStatus, PeriodicSchedule

Handler = Callable[[Session, dict[str, Any]], None]


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    handler: Callable[[Session], object]


HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, Periodic] = {}


def job(name: str) -> Callable[[Handler], Handler]:
    """Register an idempotent handler for jobs called `name`."""

    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def periodic(
    *, every: timedelta, name: str
) -> Callable[[Callable[[Session], object]], Callable[[Session], object]]:
    """Register a task that the worker runs every `every`, scheduled from a stored due time."""

    def register(fn: Callable[[Session], object]) -> Callable[[Session], object]:
        PERIODIC[name] = Periodic(name=name, every=every, handler=fn)
        return fn

    return register


def enqueue(
    session: Session, name: str, payload: dict[str, Any] | None = None, *, run_at: datetime | None = None
) -> Job:
    """Add a job in the caller's transaction: it exists only if the caller commits."""
    now = clock.now()
    entry = Job(name=name, payload=payload or {}, run_at=run_at or now, created_at=now, attempts=0)
    session.add(entry)
    session.flush()
    return entry


def claim(session: Session, worker_id: str, limit: int = 10) -> list[uuid.UUID]:
    """Mark up to `limit` due jobs as running by `worker_id`; concurrent workers never share a job."""
    now = clock.now()
    stmt = (
        select(Job.id)
        .where(Job.status == JobStatus.PENDING, Job.run_at <= now)
        .order_by(Job.run_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(session.scalars(stmt))
    if ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(status=JobStatus.RUNNING, locked_by=worker_id, locked_at=now, attempts=Job.attempts + 1)
        )
    return ids


def settle(session: Session, job_id: uuid.UUID, error: str | None) -> None:
    """Record a job's outcome: done, retried later with exponential backoff, or failed for good."""
    entry = session.get(Job, job_id)
    if entry is None:
        return
    now = clock.now()
    entry.locked_by = None
    entry.locked_at = None
    if error is None:
        entry.status = JobStatus.DONE
        entry.finished_at = now
        entry.last_error = None
        return
    entry.last_error = error[:4000]
    if entry.attempts >= entry.max_attempts:
        entry.status = JobStatus.FAILED
        entry.finished_at = now
    else:
        entry.status = JobStatus.PENDING
        entry.run_at = now + timedelta(seconds=min(3600, 2**entry.attempts * 5))


def due_periodic(session: Session) -> list[str]:
    """Names of periodic tasks due now; their next due time is advanced in the same transaction."""
    now = clock.now()
    stored = {row.name: row for row in session.scalars(select(PeriodicSchedule))}
    due: list[str] = []
    for name, spec in PERIODIC.items():
        row = stored.get(name)
        if row is None:
            session.add(PeriodicSchedule(name=name, next_run_at=now + spec.every, last_run_at=now))
            due.append(name)
        elif row.next_run_at <= now:
            row.last_run_at = now
            row.next_run_at = now + spec.every
            due.append(name)
    session.flush()
    return due
