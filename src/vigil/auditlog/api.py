"""REST endpoints for the audit trail under /api/v1/audit: search, CSV export, chain verification, anchors."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from vigil.auditlog import service
from vigil.auditlog.schemas import AnchorRead, AuditFilter, AuditPage, VerifyResult
from vigil.auth.deps import ApiActor
from vigil.core import clock
from vigil.core.actor import Actor
from vigil.core.db import Database
from vigil.web import problems
from vigil.web.deps import Db

ERRORS = problems.responses(401, 403, 422)
router = APIRouter(prefix="/api/v1/audit", tags=["audit"], responses=ERRORS)


@router.get("", response_model=AuditPage)
def search_audit(db: Db, actor: ApiActor, filters: Annotated[AuditFilter, Query()]) -> AuditPage:
    with db.unit_of_work() as session:
        page = service.search(session=session, actor=actor, filters=filters)
        return AuditPage(items=[service.to_read(r) for r in page.items], next_cursor=page.next_cursor)


def _csv(db: Database, actor: Actor, filters: AuditFilter) -> Iterator[str]:
    # The unit of work stays open while the response streams, and closes when the stream ends or breaks.
    with db.unit_of_work() as session:
        yield from service.export_csv(session=session, actor=actor, filters=filters)


def csv_response(db: Database, actor: Actor, filters: AuditFilter) -> StreamingResponse:
    """The export as a streamed download; the API and the admin page both serve it."""
    lines = _csv(db, actor, filters)
    header = next(lines)  # runs the rights check now, so a refusal is an error response, not a cut stream
    name = f"vigil-audit-{clock.now():%Y%m%dT%H%M%SZ}.csv"
    return StreamingResponse(
        chain([header], lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


@router.get(
    "/export.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}, "description": "Every matching record, oldest first."}},
)
def export_audit(db: Db, actor: ApiActor, filters: Annotated[AuditFilter, Query()]) -> StreamingResponse:
    return csv_response(db, actor, filters)


@router.get("/verify", response_model=VerifyResult)
def verify_audit(db: Db, actor: ApiActor) -> VerifyResult:
    """Walk the hash chain. A broken chain is still a 200, with `ok: false` and the first problem."""
    with db.unit_of_work() as session:
        return service.verify(session=session, actor=actor)


@router.get("/anchor", response_model=AnchorRead, responses=problems.responses(409))
def anchor_audit(db: Db, actor: ApiActor) -> AnchorRead:
    """A signed checkpoint of the chain head, to keep elsewhere; 409 when the chain is broken."""
    with db.unit_of_work() as session:
        return service.anchor(session=session, actor=actor)
