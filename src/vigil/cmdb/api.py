"""Configuration item endpoints (the CMDB issue grows these)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse

from vigil.auth.deps import ApiActor
from vigil.cmdb import service
from vigil.cmdb.schemas import CICreate, CIPage, CIQuery, CIRead
from vigil.web import idempotent, problems, versions
from vigil.web.deps import Db

router = APIRouter(
    prefix="/api/v1/cis",
    tags=["cmdb"],
    responses=problems.responses(409, 422),
)


@router.get("", response_model=CIPage)
def list_cis(db: Db, actor: ApiActor, query: Annotated[CIQuery, Query()]) -> CIPage:
    """Configuration items by name, a page at a time."""
    with db.unit_of_work() as session:
        return CIPage.model_validate(
            service.page_cis(session=session, actor=actor, query=query), from_attributes=True
        )


@router.post("", response_model=CIRead, status_code=201, responses={201: {"headers": idempotent.LOCATION}})
def create_ci(data: CICreate, db: Db, actor: ApiActor, key: idempotent.IdemKey = None) -> JSONResponse:
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


@router.get("/{ref}", response_model=CIRead, responses={**problems.responses(404), **versions.TAGGED})
def get_ci(ref: str, db: Db, actor: ApiActor, response: Response) -> CIRead:
    """One configuration item by id or exact name."""
    with db.unit_of_work() as session:
        read = CIRead.model_validate(service.get(session=session, actor=actor, ref=ref))
    return versions.tag(response, read)
