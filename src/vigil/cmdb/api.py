"""CMDB endpoints: /api/v1/cis (items, their relationships, impact, history, open work) and
/api/v1/ci-classes. Everyone signed in reads what the CMDB policy lets them see; administrators and CMDB
managers write."""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from vigil.auth.deps import ApiActor
from vigil.cmdb import service
from vigil.cmdb.schemas import (
    CIClassCreate,
    CIClassList,
    CIClassRead,
    CIClassUpdate,
    CICreate,
    CIPage,
    CIQuery,
    CIRead,
    CIUpdate,
    HistoryPage,
    ImpactQuery,
    ImpactRead,
    OpenWork,
    RelationshipCreate,
    RelationshipList,
    RelationshipRead,
    WorkItemRead,
)
from vigil.web import idempotent, problems, versions
from vigil.web.deps import Db
from vigil.web.versions import IfMatch

router = APIRouter(prefix="/api/v1/cis", tags=["cmdb"], responses=problems.responses(409, 422))
classes = APIRouter(prefix="/api/v1/ci-classes", tags=["cmdb"], responses=problems.responses(409, 422))
CREATED: dict[int | str, dict[str, Any]] = {201: {"headers": idempotent.LOCATION}}
FOUND: dict[int | str, dict[str, Any]] = {**problems.responses(404)}


@router.get("", response_model=CIPage)
def list_cis(db: Db, actor: ApiActor, query: Annotated[CIQuery, Query()]) -> CIPage:
    """Configuration items by name, a page at a time, narrowed by class, environment, status, owner, tag
    and text."""
    with db.unit_of_work() as session:
        return CIPage.model_validate(
            service.page_cis(session=session, actor=actor, query=query), from_attributes=True
        )


@router.post("", response_model=CIRead, status_code=201, responses=CREATED)
def create_ci(data: CICreate, db: Db, actor: ApiActor, key: idempotent.IdemKey = None) -> JSONResponse:
    """Register a CI (administrators and CMDB managers); its attributes are checked against its class."""
    return idempotent.run(
        db,
        actor,
        key=key,
        scope="POST /cis",
        payload=data,
        status_code=201,
        work=lambda s: CIRead.model_validate(service.create(session=s, actor=actor, data=data)),
        location=lambda body: f"/api/v1/cis/{body['id']}",
    )


@router.get("/{ref}", response_model=CIRead, responses={**FOUND, **versions.TAGGED})
def get_ci(ref: str, db: Db, actor: ApiActor, response: Response) -> CIRead:
    """One configuration item by id or exact name (a name several CIs share is a 409 listing them)."""
    with db.unit_of_work() as session:
        read = CIRead.model_validate(service.get(session=session, actor=actor, ref=ref))
    return versions.tag(response, read)


@router.patch("/{ref}", response_model=CIRead, responses={**FOUND, **versions.VERSIONED})
def update_ci(
    ref: str, data: CIUpdate, db: Db, actor: ApiActor, response: Response, if_match: IfMatch = None
) -> CIRead:
    """Change a CI. Retiring one with open incidents on it is a 409 naming them, unless `confirm`."""
    expected = versions.expected_version(if_match, data.version)
    with db.unit_of_work() as session:
        ci = service.update(session=session, actor=actor, ref=ref, data=data, expected_version=expected)
        read = CIRead.model_validate(ci)
    return versions.tag(response, read)


@router.get("/{ref}/relationships", response_model=RelationshipList, responses=FOUND)
def list_relationships(ref: str, db: Db, actor: ApiActor) -> RelationshipList:
    """The CI's relationships both ways, each worded from this CI ("runs on", "hosts")."""
    with db.unit_of_work() as session:
        return RelationshipList(items=service.relationships(session=session, actor=actor, ref=ref))


@router.post("/{ref}/relationships", response_model=RelationshipRead, status_code=201, responses=FOUND)
def create_relationship(ref: str, data: RelationshipCreate, db: Db, actor: ApiActor) -> RelationshipRead:
    """Relate this CI to `target` (or `source` to this CI) with a kind: depends_on, runs_on, hosted_on,
    connects_to, part_of."""
    with db.unit_of_work() as session:
        rel = service.relate(session=session, actor=actor, ref=ref, data=data)
        rel_id = rel.id
        return next(r for r in service.relationships(session=session, actor=actor, ref=ref) if r.id == rel_id)


@router.delete("/{ref}/relationships/{relationship_id}", status_code=204, responses=FOUND)
def delete_relationship(ref: str, relationship_id: uuid.UUID, db: Db, actor: ApiActor) -> Response:
    with db.unit_of_work() as session:
        service.unrelate(session=session, actor=actor, ref=ref, relationship_id=relationship_id)
    return Response(status_code=204)


@router.get("/{ref}/impact", response_model=ImpactRead, responses=FOUND)
def ci_impact(ref: str, db: Db, actor: ApiActor, query: Annotated[ImpactQuery, Query()]) -> ImpactRead:
    """What a failure of this CI reaches (`upstream`, toward the services that depend on it) or what it
    relies on (`downstream`), to `depth` steps: each CI with its distance and a shortest path."""
    with db.unit_of_work() as session:
        return service.impact(session=session, actor=actor, ref=ref, query=query)


@router.get("/{ref}/history", response_model=HistoryPage, responses=FOUND)
def ci_history(ref: str, db: Db, actor: ApiActor) -> HistoryPage:
    """Every recorded change of the CI (staff), oldest first."""
    with db.unit_of_work() as session:
        return service.history_page(session=session, actor=actor, ref=ref)


@router.get("/{ref}/open-work", response_model=OpenWork, responses=FOUND)
def ci_open_work(ref: str, db: Db, actor: ApiActor) -> OpenWork:
    """Open incidents on the CI and on everything it relies on, as far as you may see them."""
    with db.unit_of_work() as session:
        items = service.open_work_below(session=session, actor=actor, ref=ref)
        return OpenWork(items=[WorkItemRead.model_validate(item) for item in items])


@classes.get("", response_model=CIClassList)
def list_ci_classes(db: Db, actor: ApiActor) -> CIClassList:
    """Every CI class, services first, with its attribute schema."""
    with db.unit_of_work() as session:
        return CIClassList(
            items=[CIClassRead.model_validate(c) for c in service.list_classes(session=session)]
        )


@classes.post("", response_model=CIClassRead, status_code=201, responses=CREATED)
def create_ci_class(data: CIClassCreate, db: Db, actor: ApiActor, response: Response) -> CIClassRead:
    """Add a class with its own attribute schema (administrators and CMDB managers)."""
    with db.unit_of_work() as session:
        read = CIClassRead.model_validate(service.create_class(session=session, actor=actor, data=data))
    response.headers["Location"] = f"/api/v1/ci-classes/{quote(read.key)}"
    return read


@classes.get("/{key}", response_model=CIClassRead, responses={**FOUND, **versions.TAGGED})
def get_ci_class(key: str, db: Db, actor: ApiActor, response: Response) -> CIClassRead:
    with db.unit_of_work() as session:
        read = CIClassRead.model_validate(service.get_class(session=session, key=key))
    return versions.tag(response, read)


@classes.patch("/{key}", response_model=CIClassRead, responses={**FOUND, **versions.VERSIONED})
def update_ci_class(
    key: str, data: CIClassUpdate, db: Db, actor: ApiActor, response: Response, if_match: IfMatch = None
) -> CIClassRead:
    """Change a class; a new schema must still accept every existing CI of the class (else 422)."""
    expected = versions.expected_version(if_match, data.version)
    with db.unit_of_work() as session:
        row = service.update_class(
            session=session, actor=actor, key=key, data=data, expected_version=expected
        )
        read = CIClassRead.model_validate(row)
    return versions.tag(response, read)
