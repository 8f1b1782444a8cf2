"""POST /api/v1/incidents/bulk: one action over up to 100 incidents, each reported on its own."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from vigil.auth.deps import ApiActor
from vigil.incidents.schemas_bulk import BulkResult, IncidentBulk
from vigil.incidents.service import bulk
from vigil.web import idempotent, problems
from vigil.web.deps import Db
from vigil.web.idempotent import IdemKey

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=problems.responses(409, 422))


@router.post("/bulk", response_model=BulkResult)
def bulk_incidents(data: IncidentBulk, db: Db, actor: ApiActor, key: IdemKey = None) -> JSONResponse:
    """Assign, change team, comment, resolve or close many incidents in one request. Each is checked
    (visibility, rights, state) and succeeds or fails on its own: a 200 lists every item's outcome.
    With an Idempotency-Key a retry replays the first outcome instead of acting twice."""
    return idempotent.run(
        db,
        actor,
        key=key,
        scope="POST /incidents/bulk",
        payload=data,
        status_code=200,
        work=lambda s: bulk.run(session=s, actor=actor, data=data),
    )
