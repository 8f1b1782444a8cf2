"""The job queue's gauges for /metrics: backlog depth and the age of the oldest due job.

Both read only pending and running rows through `ix_job_due` (status, run_at): the done and failed
history, the part of the table that grows, is never scanned.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.core import metrics
from vigil.core.jobs.models import Job, JobStatus

_LIVE = (JobStatus.PENDING, JobStatus.RUNNING)


@metrics.gauge("vigil_job_queue_depth", "Jobs waiting (pending, due or scheduled) or running.", ("status",))
def _depth(session: Session, now: datetime) -> metrics.Samples:
    rows = session.execute(select(Job.status, func.count()).where(Job.status.in_(_LIVE)).group_by(Job.status))
    counts = {status: n for status, n in rows}
    return [((str(status),), float(counts.get(status, 0))) for status in _LIVE]


@metrics.gauge(
    "vigil_job_oldest_pending_age_seconds",
    "How long the oldest due pending job has waited past its due time (0 when none is due).",
)
def _oldest(session: Session, now: datetime) -> metrics.Samples:
    oldest = session.scalar(
        select(func.min(Job.run_at)).where(Job.status == JobStatus.PENDING, Job.run_at <= now)
    )
    return [((), max(0.0, (now - oldest).total_seconds()) if oldest else 0.0)]
