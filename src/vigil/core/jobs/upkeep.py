"""The job table's own upkeep: finished jobs are kept two weeks (for looking into failures), then deleted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from vigil.core import clock
from vigil.core.jobs.models import Job, JobStatus
from vigil.core.jobs.queue import periodic

KEEP = timedelta(days=14)


@periodic(every=timedelta(hours=6), name="core.purge_jobs")
def purge_finished(session: Session) -> int:
    """Delete done and failed jobs that finished more than `KEEP` ago; returns how many."""
    result = session.execute(
        delete(Job).where(
            Job.status.in_([JobStatus.DONE, JobStatus.FAILED]), Job.finished_at < clock.now() - KEEP
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
