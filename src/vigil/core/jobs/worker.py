"""The worker loop behind `vigil worker`; tests call `run_pending` to run jobs inline."""

from __future__ import annotations

import logging
import os
import socket
import time

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from vigil.core.db import Database
from vigil.core.jobs import queue
from vigil.core.jobs.models import Job

log = logging.getLogger("vigil.worker")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def run_pending(db: Database, *, worker: str | None = None, batch: int = 10) -> int:
    """Run every due periodic task and job once; return how many jobs ran (succeeded or not)."""
    worker = worker or worker_id()
    _run_periodic(db)
    ran = 0
    while True:
        with db.unit_of_work() as session:
            ids = queue.claim(session, worker, batch)
        if not ids:
            return ran
        for job_id in ids:
            _run_one(db, job_id)
            ran += 1


def _run_periodic(db: Database) -> None:
    with db.unit_of_work() as session:
        due = queue.due_periodic(session)
    for name in due:
        try:
            with db.unit_of_work() as session:
                queue.PERIODIC[name].handler(session)
        except Exception:  # a failing task must not stop the others; it runs again when next due
            log.exception("periodic task %s failed", name)


def _run_one(db: Database, job_id: object) -> None:
    with db.unit_of_work() as session:
        entry = session.scalars(select(Job).where(Job.id == job_id)).one()
        name, payload = entry.name, dict(entry.payload)
    handler = queue.HANDLERS.get(name)
    error: str | None = None
    if handler is None:
        error = f"no handler registered for job {name!r}"
    else:
        try:
            with db.unit_of_work() as session:
                handler(session, payload)
        except Exception as exc:  # recorded on the job and retried with backoff
            log.warning("job %s (%s) failed: %s", job_id, name, exc)
            error = f"{type(exc).__name__}: {exc}"
    with db.unit_of_work() as session:
        queue.settle(session, job_id, error)  # type: ignore[arg-type]


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
            log.warning("database unavailable, retrying: %s", exc)
            time.sleep(poll_seconds * 5)
