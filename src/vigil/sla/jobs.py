"""The worker's SLA sweep: thresholds (75 %, 90 %, the breach) due now, each emitted once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from vigil.core.jobs.queue import periodic
from vigil.sla import service

SWEEP = "sla.sweep"


#: Clocks per pass, and passes per run: a backlog (a worker down for an hour) clears 10,000 clocks a
#: run, about 6 s (docs/benchmarks.md, "SLA sweep"), instead of waiting 30 s per 1,000.
BATCH, PASSES = 1000, 10


@periodic(every=timedelta(seconds=30), name=SWEEP)
def sweep(session: Session) -> None:
    for _ in range(PASSES):
        if service.sweep(session, limit=BATCH) == 0:
            return
