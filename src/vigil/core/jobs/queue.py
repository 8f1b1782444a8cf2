"""Enqueue, lease and settle jobs; handlers must be idempotent, as a job whose lease lapses runs again."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Select, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vigil.core import clock, metrics
from vigil.core.config import get_settings
from vigil.core.jobs.models import Job, JobStatus, PeriodicSchedule

Handler = Callable[[Session, dict[str, Any]], None]
S = TypeVar("S", bound=Select[Any])


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    handler: Callable[[Session], object]


HANDLERS: dict[str, Handler] = {}
PERIODIC: dict[str, Periodic] = {}


def job(name: str) -> Callable[[Handler], Handler]:
    """Register the handler for jobs called `name`. It must be idempotent.

    A handler's database work commits in one transaction with the job's DONE mark, and only if this worker
    still holds the lease, so that work happens once. Anything else it does (mail, webhooks, files) may
    happen twice: a worker can die after the side effect and before the commit, and a handler that runs
    past its lease (`job_lease_seconds`) can be taken over by another worker while it still runs. Check
    state first or pass an idempotency token downstream; call `worker.renew_lease()` in long handlers.
    """

    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def periodic(
    *, every: timedelta, name: str
) -> Callable[[Callable[[Session], object]], Callable[[Session], object]]:
    """Register a task run every `every`: each due time becomes one job, so it is leased and retried too."""

    def register(fn: Callable[[Session], object]) -> Callable[[Session], object]:
        PERIODIC[name] = Periodic(name=name, every=every, handler=fn)
        return fn

    return register


def handler_for(name: str) -> Handler | None:
    """The handler of a job: a registered job handler, or the periodic task of that name."""
    if name in HANDLERS:
        return HANDLERS[name]
    task = PERIODIC.get(name)
    if task is None:
        return None
    return lambda session, _payload: _call(task.handler, session)


def _call(fn: Callable[[Session], object], session: Session) -> None:
    fn(session)


def lease_length() -> timedelta:
    return timedelta(seconds=get_settings().job_lease_seconds)


def enqueue(
    session: Session, name: str, payload: dict[str, Any] | None = None, *, run_at: datetime | None = None
) -> Job:
    """Add a job in the caller's transaction: it exists only if the caller commits. It is written
    with the caller's next flush (so a writer emitting many events sends one batched INSERT)."""
    now = clock.now()
    entry = Job(
        id=uuid.uuid4(), name=name, payload=payload or {}, run_at=run_at or now, created_at=now, attempts=0
    )
    session.add(entry)
    return entry


def enqueue_many(session: Session, jobs: list[tuple[str, dict[str, Any]]]) -> int:
    """Add many jobs due now in one INSERT (a sweep emitting a thousand events), in the caller's
    transaction; returns how many."""
    if not jobs:
        return 0
    now = clock.now()
    rows = [
        {
            "id": uuid.uuid4(),
            "name": name,
            "payload": payload,
            "run_at": now,
            "created_at": now,
            "attempts": 0,
        }
        for name, payload in jobs
    ]
    session.execute(insert(Job), rows)
    return len(rows)


def _skip_locked(session: Session, stmt: S) -> S:
    # PostgreSQL workers run concurrently and must pass over rows another worker is taking; SQLite
    # transactions begin IMMEDIATE (core.db), so claims there are serialised and need no row locks.
    if session.get_bind().dialect.name == "postgresql":
        return stmt.with_for_update(skip_locked=True)
    return stmt


def claim(
    session: Session, worker_id: str, limit: int = 10, *, lease: timedelta | None = None
) -> list[uuid.UUID]:
    """Lease up to `limit` jobs to `worker_id`: due pending ones and running ones whose lease lapsed.

    Each claim counts an attempt. A lapsed job that has used all its attempts fails instead, since the
    worker that held it died or overran every time. Concurrent workers never share a job.
    """
    now = clock.now()
    ids = _reclaim_lapsed(session, now, limit)
    if len(ids) < limit:
        pending = (
            select(Job.id)
            .where(Job.status == JobStatus.PENDING, Job.run_at <= now)
            .order_by(Job.run_at)
            .limit(limit - len(ids))
        )
        ids += session.scalars(_skip_locked(session, pending))
    if ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(ids))
            .values(
                status=JobStatus.RUNNING,
                locked_by=worker_id,
                locked_at=now,
                lease_until=now + (lease or lease_length()),
                attempts=Job.attempts + 1,
            )
        )
    return ids


def _reclaim_lapsed(session: Session, now: datetime, limit: int) -> list[uuid.UUID]:
    """Ids of running jobs whose lease lapsed and may run again; those out of attempts are failed here."""
    lapsed = (
        select(Job)
        .where(Job.status == JobStatus.RUNNING, Job.lease_until <= now)
        .order_by(Job.lease_until)
        .limit(limit)
    )
    again: list[uuid.UUID] = []
    for entry in session.scalars(_skip_locked(session, lapsed)).all():
        if entry.attempts < entry.max_attempts:
            again.append(entry.id)
            metrics.retried(session, entry.name, "lease_expired")
            continue
        entry.status = JobStatus.FAILED
        entry.finished_at = now
        entry.last_error = (
            f"lease expired: worker {entry.locked_by} stopped or overran its lease "
            f"(attempt {entry.attempts} of {entry.max_attempts})"
        )
        _release(entry)
    session.flush()
    return again


def _release(entry: Job) -> None:
    entry.locked_by = None
    entry.locked_at = None
    entry.lease_until = None


def _leased(session: Session, job_id: uuid.UUID, worker_id: str) -> Job | None:
    """The job if `worker_id` still holds its lease, row-locked until this transaction ends."""
    stmt = select(Job).where(Job.id == job_id, Job.status == JobStatus.RUNNING, Job.locked_by == worker_id)
    # A claimer taking the job over locks its row too, so of the two only one sees it as its own.
    return session.scalars(stmt.with_for_update()).one_or_none()


def renew(session: Session, job_id: uuid.UUID, worker_id: str, *, lease: timedelta | None = None) -> bool:
    """Extend `worker_id`'s lease on a job from now; False when the job is no longer its to run."""
    entry = _leased(session, job_id, worker_id)
    if entry is None:
        return False
    entry.lease_until = clock.now() + (lease or lease_length())
    session.flush()
    return True


def settle(session: Session, job_id: uuid.UUID, worker_id: str, error: str | None) -> bool:
    """Record the outcome of `worker_id`'s run: done, retried later with backoff, or failed for good.

    Returns False and changes nothing when the lease was taken over meanwhile: the new holder's run
    decides the outcome, not the run of a worker that overran its lease.
    """
    entry = _leased(session, job_id, worker_id)
    if entry is None:
        return False
    now = clock.now()
    _release(entry)
    if error is None:
        entry.status = JobStatus.DONE
        entry.finished_at = now
        entry.last_error = None
    elif entry.attempts >= entry.max_attempts:
        entry.status = JobStatus.FAILED
        entry.finished_at = now
        entry.last_error = error[:4000]
    else:
        entry.status = JobStatus.PENDING
        entry.last_error = error[:4000]
        entry.run_at = now + timedelta(seconds=min(3600, 2**entry.attempts * 5))
        metrics.retried(session, entry.name, "error")
    session.flush()
    return True


def due_periodic(session: Session) -> list[str]:
    """Enqueue one job per periodic task that is due, advancing its due time in the same transaction.

    On PostgreSQL each due schedule row is taken with SKIP LOCKED, so of two workers polling at once only
    one advances it and enqueues the run: one job per due time.
    """
    now = clock.now()
    _add_missing_schedules(session, now, list(PERIODIC))
    due = (
        select(PeriodicSchedule)
        .where(PeriodicSchedule.name.in_(PERIODIC), PeriodicSchedule.next_run_at <= now)
        .order_by(PeriodicSchedule.name)
    )
    names: list[str] = []
    for row in session.scalars(_skip_locked(session, due)).all():
        row.last_run_at = now
        row.next_run_at = now + PERIODIC[row.name].every
        enqueue(session, row.name, {"due_at": now.isoformat()})
        names.append(row.name)
    session.flush()
    return names


def _add_missing_schedules(session: Session, now: datetime, names: Sequence[str]) -> None:
    """Create schedule rows (due now) for new tasks; two workers adding the same row at once both succeed."""
    if not names:
        return
    known = set(session.scalars(select(PeriodicSchedule.name).where(PeriodicSchedule.name.in_(names))))
    # Sorted, so two workers inserting the same rows wait on each other in one order and cannot deadlock.
    rows = [{"name": name, "next_run_at": now} for name in sorted(names) if name not in known]
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    # ON CONFLICT DO NOTHING waits for a concurrent insert of the same name to commit, then skips it.
    session.execute(dialect.insert(PeriodicSchedule).values(rows).on_conflict_do_nothing())
