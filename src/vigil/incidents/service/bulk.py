"""One action over many incidents in one request: each in its own savepoint, so one refusal (a 404, a
409, a 403) neither stops nor undoes the others, and each is reported with the reason."""

from __future__ import annotations

from sqlalchemy.orm import Session

from vigil.core.actor import Actor
from vigil.core.errors import VigilError
from vigil.incidents.models import Incident
from vigil.incidents.schemas import CommentCreate, IncidentNote, IncidentResolve, IncidentUpdate
from vigil.incidents.schemas_bulk import BulkAction, BulkItem, BulkProblem, BulkResult, IncidentBulk
from vigil.incidents.service import records, workflow
from vigil.incidents.service.present import to_read


def _perform(session: Session, actor: Actor, ref: str, data: IncidentBulk) -> Incident:
    if data.action in (BulkAction.ASSIGN, BulkAction.CHANGE_TEAM):
        field = "assigned_to" if data.action == BulkAction.ASSIGN else "assignment_group"
        update = IncidentUpdate.model_validate({field: getattr(data, field)})
        return records.update(session=session, actor=actor, ref=ref, data=update)
    if data.action == BulkAction.COMMENT:
        comment = CommentCreate(body=data.body or "", internal=data.internal)
        workflow.add_comment(session=session, actor=actor, ref=ref, data=comment)
        return records.load(session, actor, ref)
    if data.action == BulkAction.RESOLVE:
        resolution = IncidentResolve(
            resolution_code=data.resolution_code, resolution_notes=data.resolution_notes or ""
        )
        return workflow.resolve(session=session, actor=actor, ref=ref, data=resolution)
    return workflow.close(session=session, actor=actor, ref=ref, data=IncidentNote(note=data.note))


def run(*, session: Session, actor: Actor, data: IncidentBulk) -> BulkResult:
    results: list[BulkItem] = []
    for ref in data.refs:
        try:
            with session.begin_nested():
                incident = _perform(session, actor, ref, data)
                item = BulkItem(ref=ref, ok=True, status=200, incident=to_read(incident, actor))
        except VigilError as exc:
            problem = BulkProblem(type=exc.type, title=exc.title, status=exc.status, detail=exc.detail)
            item = BulkItem(ref=ref, ok=False, status=exc.status, problem=problem)
        results.append(item)
    done = sum(1 for r in results if r.ok)
    return BulkResult(action=data.action, succeeded=done, failed=len(results) - done, results=results)
