"""A worker process for the race tests: `JOBHELPER_DIR=dir python -m tests.core.jobhelpers MODE URL SECONDS`."""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.core.db import Database
from vigil.core.jobs import queue, worker
from vigil.core.jobs.models import Job, JobStatus

RECORD, SLOW = "race.record", "race.slow"
TICKS = [f"race.tick{i}" for i in range(8)]
TICK_EVERY = timedelta(seconds=1)
WORKDIR = Path(os.environ.get("JOBHELPER_DIR", "."))


def _append(name: str, line: str) -> None:
    # O_APPEND writes of one short line are atomic, so both processes can share the file.
    with open(WORKDIR / name, "a") as f:
        f.write(line + "\n")


@queue.job(RECORD)
def _record(session: Session, payload: dict[str, Any]) -> None:
    _append("runs.log", f"{payload['n']} {os.getpid()}")
    time.sleep(0.005)  # long enough that the two workers' runs interleave


@queue.job(SLOW)
def _slow(session: Session, payload: dict[str, Any]) -> None:
    _append("started.log", f"{os.getpid()} {time.time()}")
    if os.environ.get("JOBHELPER_BLOCK"):
        # Stand-in for a hung handler: waits for a file nobody creates, until the test kills us.
        deadline = time.monotonic() + 60
        while not (WORKDIR / "never").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        raise TimeoutError("the test should have killed this worker")
    _append("finished.log", f"{os.getpid()} {time.time()}")


def _tick(name: str) -> None:
    queue.periodic(every=TICK_EVERY, name=name)(lambda session: _append("ticks.log", f"{name} {os.getpid()}"))


def _unfinished(db: Database) -> int:
    with db.unit_of_work() as s:
        return int(
            s.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.status.in_([JobStatus.PENDING, JobStatus.RUNNING]))
            )
            or 0
        )


def _wait_for_go() -> None:
    (WORKDIR / f"ready-{os.getpid()}").touch()
    deadline = time.monotonic() + 60
    while not (WORKDIR / "go").exists():
        if time.monotonic() > deadline:
            raise SystemExit("no go signal")
        time.sleep(0.005)


def main(mode: str, url: str, seconds: float) -> None:
    """drain: run jobs until none is pending or running; periodic: run ticks for `seconds`."""
    db = Database(url)
    if mode == "periodic":
        for name in TICKS:
            _tick(name)
    _wait_for_go()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ran = worker.run_pending(db, batch=5)
        if mode == "drain" and ran == 0 and _unfinished(db) == 0:
            break
        if ran == 0:
            time.sleep(0.02)
    db.dispose()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]))
