"""Durable jobs: enqueue in the writer's transaction, run, retry with backoff, fail for good, periodic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.conftest import Clock
from vigil.core import events
from vigil.core.db import Database
from vigil.core.jobs import queue, worker
from vigil.core.jobs.models import Job, JobStatus, PeriodicSchedule

calls: list[dict[str, Any]] = []


@queue.job("test.record")
def _record(session: Session, payload: dict[str, Any]) -> None:
    calls.append(payload)


@queue.job("test.flaky")
def _flaky(session: Session, payload: dict[str, Any]) -> None:
    raise RuntimeError("downstream unavailable")


@pytest.fixture(autouse=True)
def _reset() -> None:
    calls.clear()


def test_job_runs_only_if_the_writer_commits(db: Database) -> None:
    with pytest.raises(ZeroDivisionError), db.unit_of_work() as s:
        queue.enqueue(s, "test.record", {"n": 1})
        raise ZeroDivisionError
    with db.unit_of_work() as s:
        queue.enqueue(s, "test.record", {"n": 2})
    assert worker.run_pending(db) == 1
    assert calls == [{"n": 2}]
    with db.unit_of_work() as s:
        assert s.scalars(select(Job.status)).all() == [JobStatus.DONE]
    assert worker.run_pending(db) == 0


def test_failures_retry_with_backoff_then_fail(db: Database, frozen_clock: Clock) -> None:
    with db.unit_of_work() as s:
        job_id = queue.enqueue(s, "test.flaky").id
    worker.run_pending(db)
    with db.unit_of_work() as s:
        job = s.get(Job, job_id)
        assert job is not None
        assert (job.status, job.attempts) == (JobStatus.PENDING, 1)
        assert "downstream unavailable" in (job.last_error or "")
        assert job.run_at == frozen_clock.now + timedelta(seconds=10)
    assert worker.run_pending(db) == 0, "not due yet"
    for _ in range(10):
        frozen_clock.advance(hours=2)
        worker.run_pending(db)
    with db.unit_of_work() as s:
        job = s.get(Job, job_id)
        assert job is not None and job.status == JobStatus.FAILED and job.attempts == job.max_attempts


def test_unknown_job_name_is_recorded_not_crashing(db: Database) -> None:
    with db.unit_of_work() as s:
        job_id = queue.enqueue(s, "no.such.job").id
    worker.run_pending(db)
    with db.unit_of_work() as s:
        job = s.get(Job, job_id)
        assert job is not None and "no handler registered" in (job.last_error or "")


def test_claim_never_hands_one_job_to_two_workers(db: Database) -> None:
    with db.unit_of_work() as s:
        for i in range(5):
            queue.enqueue(s, "test.record", {"i": i})
    with db.unit_of_work() as s:
        first = queue.claim(s, "w1", limit=3)
    with db.unit_of_work() as s:
        second = queue.claim(s, "w2", limit=10)
    assert len(first) == 3 and len(second) == 2 and not set(first) & set(second)


def test_periodic_tasks_run_when_due_from_stored_times(db: Database, frozen_clock: Clock) -> None:
    ran: list[str] = []
    queue.periodic(every=timedelta(minutes=10), name="test.tick")(lambda s: ran.append("tick"))
    try:
        worker.run_pending(db)
        worker.run_pending(db)
        assert ran == ["tick"]
        frozen_clock.advance(minutes=11)
        worker.run_pending(db)
        assert ran == ["tick", "tick"]
        with db.unit_of_work() as s:
            row = s.get(PeriodicSchedule, "test.tick")
            assert row is not None and row.next_run_at == frozen_clock.now + timedelta(minutes=10)
    finally:
        queue.PERIODIC.pop("test.tick")


@dataclass(frozen=True)
class Pinged:
    target: str


def test_events_are_delivered_to_subscribers_as_jobs(db: Database) -> None:
    events.subscribe(Pinged, "test.record")
    with db.unit_of_work() as s:
        assert events.emit(s, Pinged(target="api")) == 1
    worker.run_pending(db)
    assert calls == [{"event": "Pinged", "target": "api"}]
