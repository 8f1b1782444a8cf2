"""REST endpoints for incidents under /api/v1/incidents (SPEC-060 plus lifecycle actions)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from vigil.auth.deps import ApiActor
from vigil.core import clock
from vigil.core.schemas import ListQuery, SyncQuery
from vigil.incidents import service
from vigil.incidents.schemas import (
    CategoryCreate,
    CategoryPage,
    CategoryRead,
    CategoryUpdate,
    CommentCreate,
    CommentPage,
    CommentRead,
    EscalationLevelList,
    EscalationLevelRead,
    EscalationLevelSet,
    IncidentCreate,
    IncidentEscalate,
    IncidentFilter,
    IncidentNote,
    IncidentPage,
    IncidentRead,
    IncidentReopen,
    IncidentResolve,
    IncidentSla,
    IncidentUpdate,
    TimelinePage,
)
from vigil.incidents.service import clocks
from vigil.web import idempotent, problems, versions
from vigil.web.deps import Db
from vigil.web.idempotent import LOCATION, IdemKey
from vigil.web.versions import IfMatch

ERRORS = problems.responses(404, 409, 422)
router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"], responses=ERRORS)
#: A versioned incident in the answer: its ETag header is declared, and 412 for a stale If-Match.
VERSIONED: dict[int | str, dict[str, Any]] = {
    200: {"headers": versions.ETAG_HEADER},
    **problems.responses(412),
}


@router.get("", response_model=IncidentPage)
def list_incidents(db: Db, actor: ApiActor, filters: Annotated[IncidentFilter, Query()]) -> Any:
    """Incidents you may see, newest first by default, a page at a time; `fields` trims each item."""
    fields = filters.selected_fields()
    with db.unit_of_work() as session:
        page = service.list_incidents(session=session, actor=actor, filters=filters)
        answer = IncidentPage(
            items=[service.to_read(i, actor) for i in page.items],
            next_cursor=page.next_cursor,
            count=page.count,
            count_exact=page.count_exact,
        )
    if fields is None:
        return answer
    body = answer.model_dump(mode="json")
    body["items"] = [{name: item[name] for name in fields} for item in body["items"]]
    return JSONResponse(body)


@router.post("", response_model=IncidentRead, status_code=201, responses={201: {"headers": LOCATION}})
def create_incident(db: Db, actor: ApiActor, data: IncidentCreate, key: IdemKey = None) -> JSONResponse:
    return idempotent.run(
        db,
        actor,
        key=key,
        scope="POST /incidents",
        payload=data,
        status_code=201,
        work=lambda s: service.to_read(service.create(session=s, actor=actor, data=data), actor),
        location=lambda body: f"/api/v1/incidents/{body['number']}",
    )


@router.get("/{ref}", response_model=IncidentRead, responses={200: {"headers": versions.ETAG_HEADER}})
def get_incident(ref: str, db: Db, actor: ApiActor, response: Response) -> IncidentRead:
    with db.unit_of_work() as session:
        read = service.to_read(service.get(session=session, actor=actor, ref=ref), actor)
    response.headers["ETag"] = versions.etag(read.version)
    return read


@router.patch("/{ref}", response_model=IncidentRead, responses=VERSIONED)
def update_incident(
    ref: str, data: IncidentUpdate, db: Db, actor: ApiActor, response: Response, if_match: IfMatch = None
) -> IncidentRead:
    expected = versions.expected_version(if_match, data.version)
    with db.unit_of_work() as session:
        incident = service.update(session=session, actor=actor, ref=ref, data=data, expected_version=expected)
        read = service.to_read(incident, actor)
    response.headers["ETag"] = versions.etag(read.version)
    return read


@router.post("/{ref}/resolve", response_model=IncidentRead, responses=VERSIONED)
def resolve_incident(
    ref: str, data: IncidentResolve, db: Db, actor: ApiActor, key: IdemKey = None, if_match: IfMatch = None
) -> JSONResponse:
    expected = versions.expected_version(if_match)
    return idempotent.run(
        db,
        actor,
        key=key,
        scope=f"POST /incidents/{ref}/resolve",
        payload=data,
        status_code=200,
        work=lambda s: service.to_read(
            service.resolve(session=s, actor=actor, ref=ref, data=data, expected_version=expected), actor
        ),
    )


@router.post("/{ref}/reopen", response_model=IncidentRead, responses=VERSIONED)
def reopen_incident(
    ref: str, data: IncidentReopen, db: Db, actor: ApiActor, key: IdemKey = None, if_match: IfMatch = None
) -> JSONResponse:
    expected = versions.expected_version(if_match)
    return idempotent.run(
        db,
        actor,
        key=key,
        scope=f"POST /incidents/{ref}/reopen",
        payload=data,
        status_code=200,
        work=lambda s: service.to_read(
            service.reopen(session=s, actor=actor, ref=ref, data=data, expected_version=expected), actor
        ),
    )


@router.post("/{ref}/escalate", response_model=IncidentRead, responses=VERSIONED)
def escalate_incident(
    ref: str, data: IncidentEscalate, db: Db, actor: ApiActor, key: IdemKey = None, if_match: IfMatch = None
) -> JSONResponse:
    """Escalate: `functional` hands it to the next support level's team (L1 → L4, or `to_level`);
    `hierarchical` brings in its group's manager. 409 when there is nowhere to go."""
    expected = versions.expected_version(if_match)
    return idempotent.run(
        db,
        actor,
        key=key,
        scope=f"POST /incidents/{ref}/escalate",
        payload=data,
        status_code=200,
        work=lambda s: service.to_read(
            service.escalation.escalate(
                session=s, actor=actor, ref=ref, data=data, expected_version=expected
            ),
            actor,
        ),
    )


def _note_action(
    db: Db,
    actor: ApiActor,
    ref: str,
    action: str,
    data: IncidentNote | None,
    key: str | None,
    if_match: str | None,
) -> JSONResponse:
    perform = service.NOTE_ACTIONS[action]
    expected = versions.expected_version(if_match)
    return idempotent.run(
        db,
        actor,
        key=key,
        scope=f"POST /incidents/{ref}/{action}",
        payload=data,
        status_code=200,
        work=lambda s: service.to_read(
            perform(session=s, actor=actor, ref=ref, data=data, expected_version=expected), actor
        ),
    )


#: The lifecycle actions that carry at most a note, each its own operation (`acknowledge_incident`, ...).
NOTE_SUMMARIES = {
    "acknowledge": "Acknowledge incident",
    "hold": "Put incident on hold",
    "resume": "Resume incident",
    "close": "Close incident",
    "cancel": "Cancel incident",
}


def _note_route(action: str, summary: str) -> None:
    def act(
        ref: str,
        db: Db,
        actor: ApiActor,
        data: IncidentNote | None = None,
        key: IdemKey = None,
        if_match: IfMatch = None,
    ) -> JSONResponse:
        return _note_action(db, actor, ref, action, data, key, if_match)

    act.__doc__ = f"{summary}: the `{action}` action; an optional note goes into the timeline."
    router.post(
        f"/{{ref}}/{action}",
        response_model=IncidentRead,
        responses=VERSIONED,
        summary=summary,
        name=f"{action}_incident",
    )(act)


for _action, _summary in NOTE_SUMMARIES.items():
    _note_route(_action, _summary)


@router.post(
    "/{ref}/comments", response_model=CommentRead, status_code=201, responses={201: {"headers": LOCATION}}
)
def add_comment(ref: str, data: CommentCreate, db: Db, actor: ApiActor, key: IdemKey = None) -> JSONResponse:
    return idempotent.run(
        db,
        actor,
        key=key,
        scope=f"POST /incidents/{ref}/comments",
        payload=data,
        status_code=201,
        work=lambda s: CommentRead.model_validate(
            service.add_comment(session=s, actor=actor, ref=ref, data=data)
        ),
        location=lambda body: f"/api/v1/incidents/{body['incident_id']}/comments/{body['id']}",
    )


@router.get("/{ref}/comments", response_model=CommentPage)
def list_comments(ref: str, db: Db, actor: ApiActor, query: Annotated[ListQuery, Query()]) -> CommentPage:
    """The incident's comments (and, for staff, work notes), oldest first, a page at a time."""
    with db.unit_of_work() as session:
        found = service.comments(session=session, actor=actor, ref=ref, query=query)
        return CommentPage.model_validate(found, from_attributes=True)


@router.get("/{ref}/comments/{comment_id}", response_model=CommentRead)
def get_comment(ref: str, comment_id: uuid.UUID, db: Db, actor: ApiActor) -> CommentRead:
    with db.unit_of_work() as session:
        return CommentRead.model_validate(
            service.comment(session=session, actor=actor, ref=ref, comment_id=comment_id)
        )


@router.get("/{ref}/timeline", response_model=TimelinePage)
def get_timeline(ref: str, db: Db, actor: ApiActor, query: Annotated[ListQuery, Query()]) -> TimelinePage:
    """Comments, work notes (staff) and every recorded change, oldest first, a page at a time."""
    with db.unit_of_work() as session:
        page = service.timeline_page(session=session, actor=actor, ref=ref, query=query)
        return TimelinePage(
            items=page.items, next_cursor=page.next_cursor, count=page.count, count_exact=page.count_exact
        )


@router.get("/{ref}/sla", response_model=IncidentSla)
def get_sla(ref: str, db: Db, actor: ApiActor) -> IncidentSla:
    """Why each due time is what it is: the policy, the calendar (as snapshotted), every clock event, and
    the spans of business time counted."""
    with db.unit_of_work() as session:
        incident = service.get(session=session, actor=actor, ref=ref)
        return clocks.explain(session, incident, clock.now())


levels_router = APIRouter(prefix="/api/v1/incident-escalation-levels", tags=["incidents"], responses=ERRORS)


@levels_router.get("", response_model=EscalationLevelList)
def list_levels(db: Db, actor: ApiActor) -> EscalationLevelList:
    """The functional escalation chain, L1 first: which team holds each support level."""
    with db.unit_of_work() as session:
        rows = service.escalation.levels(session=session, actor=actor)
        return EscalationLevelList(items=[EscalationLevelRead.model_validate(r) for r in rows])


@levels_router.put("/{level}", response_model=EscalationLevelRead)
def set_level(level: int, data: EscalationLevelSet, db: Db, actor: ApiActor) -> EscalationLevelRead:
    """Name the team holding a level (1-4); admins only."""
    with db.unit_of_work() as session:
        row = service.escalation.set_level(session=session, actor=actor, level=level, data=data)
        return EscalationLevelRead.model_validate(row)


@levels_router.delete("/{level}", status_code=204)
def clear_level(level: int, db: Db, actor: ApiActor) -> Response:
    with db.unit_of_work() as session:
        service.escalation.clear_level(session=session, actor=actor, level=level)
    return Response(status_code=204)


categories_router = APIRouter(prefix="/api/v1/incident-categories", tags=["incidents"], responses=ERRORS)


@categories_router.get("", response_model=CategoryPage)
def list_categories(db: Db, actor: ApiActor, query: Annotated[SyncQuery, Query()]) -> CategoryPage:
    """Every category, active or not, in display order: one page (the list is short by nature);
    `updated_after` and `sort=updated_at` as on every list (`limit` and `cursor` have nothing to page)."""
    with db.unit_of_work() as session:
        found = service.categories.list_all(session=session, actor=actor, query=query)
        return CategoryPage(
            items=[CategoryRead.model_validate(c) for c in found], count=len(found), count_exact=True
        )


@categories_router.post(
    "", response_model=CategoryRead, status_code=201, responses={201: {"headers": LOCATION}}
)
def add_category(data: CategoryCreate, db: Db, actor: ApiActor, key: IdemKey = None) -> JSONResponse:
    return idempotent.run(
        db,
        actor,
        key=key,
        scope="POST /incident-categories",
        payload=data,
        status_code=201,
        work=lambda s: CategoryRead.model_validate(
            service.categories.add(session=s, actor=actor, name=data.name)
        ),
        location=lambda body: f"/api/v1/incident-categories/{quote(body['name'], safe='')}",
    )


@categories_router.get(
    "/{name}", response_model=CategoryRead, responses={**problems.responses(404), **versions.TAGGED}
)
def get_category(name: str, db: Db, actor: ApiActor, response: Response) -> CategoryRead:
    with db.unit_of_work() as session:
        read = CategoryRead.model_validate(service.categories.get(session=session, actor=actor, name=name))
    return versions.tag(response, read)


@categories_router.patch("/{name}", response_model=CategoryRead, responses=versions.VERSIONED)
def update_category(
    name: str, data: CategoryUpdate, db: Db, actor: ApiActor, response: Response, if_match: IfMatch = None
) -> CategoryRead:
    expected = versions.expected_version(if_match, data.version)
    with db.unit_of_work() as session:
        category = service.categories.set_active(
            session=session, actor=actor, name=name, active=data.active, expected_version=expected
        )
        read = CategoryRead.model_validate(category)
    return versions.tag(response, read)
