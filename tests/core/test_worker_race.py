"""Real worker processes racing on one database: every job and every periodic due time runs exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.core import jobhelpers
from tests.dbutil import PG_URL, fresh_database
from vigil import migrate
from vigil.core.db import Database
from vigil.core.jobs import queue
from vigil.core.jobs.models import Job, JobStatus

ROOT = Path(__file__).resolve().parents[2]
NEEDS_PG = "two workers racing for rows need PostgreSQL: set VIGIL_TEST_DATABASE_URL"
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(not PG_URL, reason=NEEDS_PG))]


@contextmanager
def workers(
    url: str, workdir: Path, mode: str, seconds: float, envs: list[dict[str, str]]
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """One worker process per entry of `envs`; always killed on the way out."""
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for extra in envs:
            env = {**os.environ, "JOBHELPER_DIR": str(workdir), "VIGIL_JOB_LEASE_SECONDS": "60", **extra}
            procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "tests.core.jobhelpers", mode, url, str(seconds)],
                    cwd=ROOT,
                    env=env,
                )
            )
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def start_together(workdir: Path, procs: list[subprocess.Popen[bytes]]) -> None:
    """Release the workers at one instant once every one of them has imported and connected."""
    wait_until(lambda: len(list(workdir.glob("ready-*"))) == len(procs), 60, "workers to start")
    (workdir / "go").touch()


def finish(procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    for proc in procs:
        assert proc.wait(timeout=timeout) == 0, "a worker process failed"


def lines(path: Path) -> list[list[str]]:
    return [line.split() for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_workers_run_every_job_exactly_once(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        db = Database(url)
        with db.unit_of_work() as s:
            for n in range(200):
                queue.enqueue(s, jobhelpers.RECORD, {"n": n})
        with workers(url, tmp_path, "drain", 90, [{}, {}]) as procs:
            start_together(tmp_path, procs)
            finish(procs, timeout=120)
        runs = lines(tmp_path / "runs.log")
        counts = Counter(int(n) for n, _ in runs)
        assert sorted(counts) == list(range(200)) and set(counts.values()) == {1}, "a job ran twice or never"
        by_worker = Counter(pid for _, pid in runs)
        assert len(by_worker) == 2, f"one worker did all the work: {by_worker}"
        with db.unit_of_work() as s:
            assert set(s.scalars(select(Job.status))) == {JobStatus.DONE}
            assert set(s.scalars(select(Job.attempts))) == {1}
        db.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_workers_run_a_periodic_task_once_per_due_time(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        with workers(url, tmp_path, "periodic", 4.5, [{}, {}]) as procs:
            start_together(tmp_path, procs)
            finish(procs, timeout=60)
        db = Database(url)
        with db.unit_of_work() as s:
            jobs = s.scalars(select(Job).order_by(Job.name, Job.created_at)).all()
        db.dispose()
    executions = Counter(name for name, _ in lines(tmp_path / "ticks.log"))
    for name in jobhelpers.TICKS:
        runs = [j for j in jobs if j.name == name]
        due = [datetime.fromisoformat(j.payload["due_at"]) for j in runs]
        assert 2 <= len(runs) <= 5, f"{name} ran {len(runs)} times in 4.5 s at one run a second"
        assert all(b - a >= jobhelpers.TICK_EVERY for a, b in zip(due, due[1:], strict=False)), (
            f"{name} ran twice for one due time: {due}"
        )
        assert executions[name] == len(runs), (
            f"{name}: {executions[name]} executions for {len(runs)} due times"
        )
        assert {j.status for j in runs} <= {JobStatus.DONE, JobStatus.PENDING}


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_killed_workers_job_is_finished_by_another_once_its_lease_lapses(
    backend: str, tmp_path: Path
) -> None:
    lease = 2.0
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        db = Database(url)
        with db.unit_of_work() as s:
            job_id = queue.enqueue(s, jobhelpers.SLOW).id
        (tmp_path / "go").touch()
        short = {"VIGIL_JOB_LEASE_SECONDS": str(lease)}
        with workers(url, tmp_path, "drain", 60, [{**short, "JOBHELPER_BLOCK": "1"}]) as (doomed,):
            wait_until(lambda: (tmp_path / "started.log").exists(), 60, "the first worker to start the job")
            doomed.send_signal(signal.SIGKILL)
            doomed.wait(timeout=10)
        with workers(url, tmp_path, "drain", 60, [short]) as procs:
            finish(procs, timeout=90)
        started, finished = lines(tmp_path / "started.log"), lines(tmp_path / "finished.log")
        assert [pid for pid, _ in started] == [str(doomed.pid), str(procs[0].pid)]
        assert float(started[1][1]) - float(started[0][1]) > lease / 2, "taken over before the lease lapsed"
        assert [pid for pid, _ in finished] == [str(procs[0].pid)], "the job finished other than once"
        with db.unit_of_work() as s:
            entry = s.get(Job, job_id)
            assert entry is not None
            assert (entry.status, entry.attempts, entry.lease_until) == (JobStatus.DONE, 2, None)
        db.dispose()
