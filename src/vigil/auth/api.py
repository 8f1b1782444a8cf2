"""Read-only directory endpoints: users and teams (assignment groups)."""

from __future__ import annotations

from fastapi import APIRouter

from vigil.auth import service
from vigil.auth.schemas import TeamRef, UserRead
from vigil.web.deps import ApiActor, Db

router = APIRouter(prefix="/api/v1", tags=["directory"])


@router.get("/users", response_model=list[UserRead])
def list_users(db: Db, actor: ApiActor) -> list[UserRead]:
    with db.unit_of_work() as session:
        return [UserRead.model_validate(u) for u in service.list_users(session)]


@router.get("/teams", response_model=list[TeamRef])
def list_teams(db: Db, actor: ApiActor) -> list[TeamRef]:
    with db.unit_of_work() as session:
        return [TeamRef.model_validate(t) for t in service.list_teams(session)]
