"""Durable jobs: enqueue in the writer's transaction, lease, run, retry with backoff, fail for good, periodic."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import DBAPIError, InvalidRequestError, NoResultFound
from sqlalchemy.orm import Session

from tests.conftest import Clock
from tests.dbutil import BACKENDS, fresh_database
from vigil import domains, migrate
from vigil.core import clock, events
from vigil.core.db import Database
from vigil.core.jobs import queue, upkeep, worker
from vigil.core.jobs.models import Job, JobStatus, PeriodicSchedule

calls: list[dict[str, Any]] = []


@queue.job("test.record")
def _record(session: Session, payload: dict[str, Any]) -> None:
    calls.append(payload)


@queue.job("test.flaky")
def _flaky(session: Session, payload: dict[str, Any]) -> None:
    raise RuntimeError("downstream unavailable")


@pytest.fixture(autouse=True)
def _reset(monkeypatch: pytest.MonkeyPatch) -> None:
    calls.clear()
    domains.load()  # registers the domains' tasks now, so they land in the real registry, not the stand-in
    # The domains' periodic tasks would add their own jobs to every run; these tests register their own.
    monkeypatch.setattr(queue, "PERIODIC", {})


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
    first = frozen_clock.now
    assert worker.run_pending(db) == 1
    assert worker.run_pending(db) == 0
    assert ran == ["tick"]
    frozen_clock.advance(minutes=11)
    worker.run_pending(db)
    assert ran == ["tick", "tick"]
    with db.unit_of_work() as s:
        row = s.get(PeriodicSchedule, "test.tick")
        assert row is not None and row.next_run_at == frozen_clock.now + timedelta(minutes=10)
        runs = s.scalars(select(Job).where(Job.name == "test.tick").order_by(Job.run_at)).all()
        assert [(j.status, j.payload["due_at"]) for j in runs] == [
            (JobStatus.DONE, first.isoformat()),
            (JobStatus.DONE, frozen_clock.now.isoformat()),
        ], "each due time is one job, so it is leased and retried like any other"


@dataclass(frozen=True)
class Pinged:
    target: str


def test_events_are_delivered_to_subscribers_as_jobs(db: Database) -> None:
    events.subscribe(Pinged, "test.record")
    with db.unit_of_work() as s:
        assert events.emit(s, Pinged(target="api")) == 1
    worker.run_pending(db)
    assert calls == [{"event": "Pinged", "target": "api"}]


def enqueue_one(db: Database, name: str = "test.record", **fields: Any) -> UUID:
    with db.unit_of_work() as s:
        entry = queue.enqueue(s, name)
        for key, value in fields.items():
            setattr(entry, key, value)
        return entry.id


def claim(db: Database, worker_id: str) -> list[UUID]:
    with db.unit_of_work() as s:
        return queue.claim(s, worker_id)


def load(db: Database, job_id: UUID) -> Job:
    with db.unit_of_work() as s:
        entry = s.get(Job, job_id)
        assert entry is not None
        return entry


def test_a_lapsed_lease_is_taken_over_and_counts_an_attempt(db: Database, frozen_clock: Clock) -> None:
    job_id = enqueue_one(db)
    assert claim(db, "w1") == [job_id]
    assert load(db, job_id).lease_until == frozen_clock.now + timedelta(seconds=300)
    frozen_clock.advance(seconds=299)
    assert claim(db, "w2") == [], "the lease still holds"
    frozen_clock.advance(seconds=1)
    assert claim(db, "w2") == [job_id]
    job = load(db, job_id)
    assert (job.status, job.locked_by, job.attempts) == (JobStatus.RUNNING, "w2", 2)
    assert job.lease_until == frozen_clock.now + timedelta(seconds=300)


def test_a_worker_whose_lease_was_taken_over_cannot_settle(db: Database, frozen_clock: Clock) -> None:
    job_id = enqueue_one(db)
    claim(db, "w1")
    frozen_clock.advance(minutes=6)
    claim(db, "w2")
    with db.unit_of_work() as s:
        assert queue.settle(s, job_id, "w1", None) is False
        assert queue.settle(s, job_id, "w1", "boom") is False
        assert queue.renew(s, job_id, "w1") is False
    job = load(db, job_id)
    assert (job.status, job.locked_by, job.last_error) == (JobStatus.RUNNING, "w2", None)
    with db.unit_of_work() as s:
        assert queue.settle(s, job_id, "w2", None) is True
    job = load(db, job_id)
    assert (job.status, job.locked_by, job.lease_until) == (JobStatus.DONE, None, None)


def test_a_job_out_of_attempts_fails_when_its_lease_lapses(db: Database, frozen_clock: Clock) -> None:
    job_id = enqueue_one(db, max_attempts=2)
    claim(db, "w1")
    frozen_clock.advance(minutes=6)
    claim(db, "w2")
    frozen_clock.advance(minutes=6)
    assert claim(db, "w3") == []
    job = load(db, job_id)
    assert (job.status, job.attempts, job.locked_by, job.finished_at) == (
        JobStatus.FAILED,
        2,
        None,
        frozen_clock.now,
    )
    assert job.last_error == "lease expired: worker w2 stopped or overran its lease (attempt 2 of 2)"


def test_renewing_keeps_the_lease(db: Database, frozen_clock: Clock) -> None:
    job_id = enqueue_one(db)
    claim(db, "w1")
    frozen_clock.advance(minutes=4)
    with db.unit_of_work() as s:
        assert queue.renew(s, job_id, "w1", lease=timedelta(minutes=10))
    frozen_clock.advance(minutes=9)
    assert claim(db, "w2") == []
    frozen_clock.advance(minutes=1)
    assert claim(db, "w2") == [job_id]


@queue.job("test.renews")
def _renews(session: Session, payload: dict[str, Any]) -> None:
    calls.append({"renewed": worker.renew_lease(timedelta(hours=1))})


def test_a_handler_renews_its_own_lease(db: Database, frozen_clock: Clock) -> None:
    job_id = enqueue_one(db, "test.renews")
    assert worker.run_pending(db) == 1
    assert calls == [{"renewed": True}]
    assert load(db, job_id).status == JobStatus.DONE
    with pytest.raises(RuntimeError, match="inside a job handler"):
        worker.renew_lease()


@queue.job("test.overruns")
def _overruns(session: Session, payload: dict[str, Any]) -> None:
    clock_, db = payload_context["clock"], payload_context["db"]
    clock_.advance(minutes=6)  # the handler overran its lease ...
    with db.unit_of_work() as s:  # ... and another worker took the job over
        assert queue.claim(s, "thief") != []
    queue.enqueue(session, "test.record", {"side": "effect"})


payload_context: dict[str, Any] = {}


def test_work_of_a_run_that_lost_its_lease_is_rolled_back(db: Database, frozen_clock: Clock) -> None:
    payload_context.update(clock=frozen_clock, db=db)
    job_id = enqueue_one(db, "test.overruns")
    worker.run_pending(db, worker="w1")
    job = load(db, job_id)
    assert (job.status, job.locked_by, job.attempts) == (JobStatus.RUNNING, "thief", 2)
    with db.unit_of_work() as s:
        assert s.scalars(select(Job).where(Job.name == "test.record")).all() == [], "not rolled back"


@queue.job("test.db_error")
def _db_error(session: Session, payload: dict[str, Any]) -> None:
    session.execute(text("SELECT * FROM no_such_table WHERE secret = :s"), {"s": "hunter2"})


@queue.job("test.sa_error")
def _sa_error(session: Session, payload: dict[str, Any]) -> None:
    raise InvalidRequestError("SELECT password FROM user_account WHERE secret = 'hunter2'")


def test_database_errors_are_logged_and_stored_without_sql_or_values(
    db: Database, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    db_error = enqueue_one(db, "test.db_error")
    sa_error = enqueue_one(db, "test.sa_error")
    flaky = enqueue_one(db, "test.flaky")
    with caplog.at_level(logging.DEBUG, logger="vigil.worker"):
        worker.run_pending(db)
    orig = "OperationalError" if backend == "sqlite" else "UndefinedTable"
    expected = {
        db_error: f"{'OperationalError' if backend == 'sqlite' else 'ProgrammingError'} ({orig})",
        sa_error: "InvalidRequestError",
        flaky: "RuntimeError: downstream unavailable",
    }
    assert {job_id: load(db, job_id).last_error for job_id in expected} == expected
    assert "hunter2" not in caplog.text and "no_such_table" not in caplog.text
    assert all(error in caplog.text for error in expected.values())


def test_describe_keeps_only_error_types_for_database_errors() -> None:
    wrapped = DBAPIError("SELECT 1 WHERE x = %(x)s", {"x": "secret"}, ValueError("secret"))
    assert worker.describe(wrapped) == "DBAPIError (ValueError)"
    assert worker.describe(NoResultFound("secret")) == "NoResultFound"
    assert worker.describe(KeyError("name")) == "KeyError: 'name'"


@pytest.mark.parametrize("backend", BACKENDS)
def test_jobs_left_running_before_leases_are_taken_over_after_the_upgrade(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url, "0003")
        db = Database(url)
        locked_at = clock.now() - timedelta(days=1)
        with db.unit_of_work() as s:
            s.execute(
                insert(Job.__table__).values(
                    id=(job_id := uuid4()),
                    name="test.record",
                    status=JobStatus.RUNNING,
                    run_at=locked_at,
                    created_at=locked_at,
                    locked_by="old-worker",
                    locked_at=locked_at,
                )
            )
        migrate.upgrade(url)
        with db.unit_of_work() as s:
            assert queue.claim(s, "new-worker") == [job_id]
        job = load(db, job_id)
        assert (job.locked_by, job.attempts) == ("new-worker", 1)
        db.dispose()


def test_finished_jobs_are_purged_after_two_weeks(db: Database, frozen_clock: Clock) -> None:
    with db.unit_of_work() as s:
        old, fresh = queue.enqueue(s, "x.old"), queue.enqueue(s, "x.fresh")
        old.status, old.finished_at = JobStatus.DONE, frozen_clock.now - timedelta(days=15)
        fresh.status, fresh.finished_at = JobStatus.FAILED, frozen_clock.now - timedelta(days=1)
        pending = queue.enqueue(s, "x.pending")
    with db.unit_of_work() as s:
        assert upkeep.purge_finished(s) == 1
        left = set(s.scalars(select(Job.id)))
    assert old.id not in left and {fresh.id, pending.id} <= left
