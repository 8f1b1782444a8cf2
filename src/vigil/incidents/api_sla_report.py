"""GET /api/v1/incidents/sla-report: SLA compliance (% met) per priority, assignment team and month."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from vigil.auth.deps import ApiActor
from vigil.incidents.schemas_sla_report import SlaReport, SlaReportFilter
from vigil.incidents.service import sla_report
from vigil.web import problems
from vigil.web.deps import Db

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=problems.responses())


@router.get("/sla-report", response_model=SlaReport)
def get_sla_report(db: Db, actor: ApiActor, filters: Annotated[SlaReportFilter, Query()]) -> SlaReport:
    """Clocks of one metric met and breached (with the % met) and still open, per priority, team and
    month of start, over the incidents the caller may see. Staff only."""
    with db.unit_of_work() as session:
        return sla_report.report(session=session, actor=actor, filters=filters)
