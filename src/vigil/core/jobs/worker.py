"""The worker loop behind `vigil worker`; tests call `run_pending` to run jobs inline."""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
import uuid
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from vigil.core import auditseal
from vigil.core.db import Database
from vigil.core.jobs import queue
from vigil.core.jobs.models import Job

log = logging.getLogger("vigil.worker")


class LeaseLost(Exception):
    """Another worker took the job over while this one ran it; this run's work is rolled back."""


@dataclass(frozen=True)
class _Running:
    db: Database
    session: Session
    job_id: uuid.UUID
    worker: str


_running: ContextVar[_Running | None] = ContextVar("vigil_running_job", default=None)


def worker_id() -> str:
    # The random part keeps a restarted worker that reuses a pid (pid 1 in containers) from settling
    # jobs its dead predecessor had leased.
    return f"{socket.gethostname()[:50]}:{os.getpid()}:{secrets.token_hex(4)}"


def describe(exc: BaseException) -> str:
    """What a failure may log and store: database errors carry SQL with bound values, so only types."""
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return f"{type(exc).__name__} ({type(exc.orig).__name__})"
    if isinstance(exc, SQLAlchemyError):
        return type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def renew_lease(lease: timedelta | None = None) -> bool:
    """From inside a handler: extend the running job's lease.

    False means another worker has taken the job over: stop, e.g. by raising `LeaseLost`; this run's
    database work would be rolled back at the end anyway.
    """
    run = _running.get()
    if run is None:
        raise RuntimeError("renew_lease() is only meaningful inside a job handler")
    if run.session.get_bind().dialect.name == "sqlite":
        # SQLite has one writer at a time: renewing inside the handler's transaction holds the write lock
        # until that transaction (which settles the job) commits, so nobody can take the job meanwhile;
        # a second transaction would instead wait for the handler's own lock.
        return queue.renew(run.session, run.job_id, run.worker, lease=lease)
    with run.db.unit_of_work() as session:  # committed at once, so other workers see the new lease
        return queue.renew(session, run.job_id, run.worker, lease=lease)


def run_pending(db: Database, *, worker: str | None = None, batch: int = 10) -> int:
    """Enqueue due periodic tasks, then run every due job once; return how many jobs ran (succeeded or not)."""
    worker = worker or worker_id()
    auditseal.seal_pending(db)  # whatever writers left unsealed (a crash between commit and sealing)
    with db.unit_of_work() as session:
        queue.due_periodic(session)
    ran = 0
    while True:
        with db.unit_of_work() as session:
            ids = queue.claim(session, worker, batch)
        if not ids:
            return ran
        for job_id in ids:
            ran += _run_one(db, job_id, worker)


def _run_one(db: Database, job_id: uuid.UUID, worker: str) -> int:
    """Run one claimed job; 0 when its lease was lost before it started (it ran late in a batch)."""
    with db.unit_of_work() as session:
        # The lease counts from the start of the run, not from the claim of the whole batch.
        if not queue.renew(session, job_id, worker):
            return 0
        entry = session.scalars(select(Job).where(Job.id == job_id)).one()
        name, payload = entry.name, dict(entry.payload)
    handler = queue.handler_for(name)
    if handler is None:
        _record_failure(db, job_id, worker, f"no handler registered for job {name!r}")
        return 1
    try:
        with db.unit_of_work() as session:
            token = _running.set(_Running(db, session, job_id, worker))
            try:
                handler(session, payload)
            finally:
                _running.reset(token)
            # Settling in the handler's transaction commits its work only while the lease is still ours.
            if not queue.settle(session, job_id, worker, None):
                raise LeaseLost
    except LeaseLost:
        log.warning("job %s (%s): lease taken over by another worker; this run was rolled back", job_id, name)
    except Exception as exc:  # recorded on the job and retried with backoff
        error = describe(exc)
        log.warning("job %s (%s) failed: %s", job_id, name, error)
        _record_failure(db, job_id, worker, error)
    return 1


def _record_failure(db: Database, job_id: uuid.UUID, worker: str, error: str) -> None:
    with db.unit_of_work() as session:
        if not queue.settle(session, job_id, worker, error):
            log.warning("job %s: lease taken over by another worker; its outcome stands", job_id)


def run_forever(db: Database, *, poll_seconds: float = 1.0, max_loops: int | None = None) -> None:
    """Poll until interrupted (or `max_loops` polls); survives a database that is briefly away."""
    loops = 0
    worker = worker_id()
    log.info("worker %s started", worker)
    while max_loops is None or loops < max_loops:
        loops += 1
        try:
            if run_pending(db, worker=worker) == 0:
                time.sleep(poll_seconds)
        except OperationalError as exc:
            log.warning("database unavailable, retrying: %s", describe(exc))
            time.sleep(poll_seconds * 5)
