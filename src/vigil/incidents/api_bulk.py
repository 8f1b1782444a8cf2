"""POST /api/v1/incidents/bulk: one action over up to 100 incidents, each reported on its own."""

from __future__ import annotations

from fastapi import APIRouter

from vigil.auth.deps import ApiActor
from vigil.incidents.schemas_bulk import BulkResult, IncidentBulk
from vigil.incidents.service import bulk
from vigil.web import problems
from vigil.web.deps import Db

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=problems.responses(422))


@router.post("/bulk", response_model=BulkResult)
def bulk_incidents(data: IncidentBulk, db: Db, actor: ApiActor) -> BulkResult:
    """Assign, change team, comment, resolve or close many incidents in one request. Each is checked
    (visibility, rights, state) and succeeds or fails on its own: a 200 lists every item's outcome."""
    with db.unit_of_work() as session:
        return bulk.run(session=session, actor=actor, data=data)
