"""Identity endpoints: who am I, users (admin), teams, and personal access tokens."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from vigil.auth import service
from vigil.auth.deps import ApiActor
from vigil.auth.schemas import (
    PasswordChange,
    TeamCreate,
    TeamPage,
    TeamRead,
    TeamUpdate,
    TokenCreate,
    TokenCreated,
    TokenPage,
    TokenQuery,
    TokenRead,
    UserCreate,
    UserPage,
    UserRead,
    UserUpdate,
)
from vigil.core.schemas import SyncQuery
from vigil.web import idempotent, problems, versions
from vigil.web.deps import Db

ERRORS = problems.responses(403, 404, 409, 422)
router = APIRouter(prefix="/api/v1", tags=["identity"], responses=ERRORS)


@router.get("/me", response_model=UserRead)
def get_me(db: Db, actor: ApiActor) -> UserRead:
    with db.unit_of_work() as session:
        return UserRead.model_validate(service.load_user(session, actor.user_id))  # type: ignore[arg-type]


@router.post("/me/password", status_code=204)
def change_my_password(data: PasswordChange, db: Db, actor: ApiActor) -> Response:
    current = data.current_password.get_secret_value() if data.current_password else None
    with db.unit_of_work() as session:
        service.set_password(
            session=session,
            actor=actor,
            ref=str(actor.user_id),
            new_password=data.new_password.get_secret_value(),
            current_password=current,
            revoke_tokens=data.revoke_tokens,
        )
    return Response(status_code=204)


@router.get("/users", response_model=UserPage)
def list_users(db: Db, actor: ApiActor, query: Annotated[SyncQuery, Query()]) -> UserPage:
    """Active users you may see, by name, a page at a time."""
    with db.unit_of_work() as session:
        return UserPage.model_validate(
            service.page_users(session=session, actor=actor, query=query), from_attributes=True
        )


@router.post(
    "/users", response_model=UserRead, status_code=201, responses={201: {"headers": idempotent.LOCATION}}
)
def create_user(data: UserCreate, db: Db, actor: ApiActor, key: idempotent.IdemKey = None) -> JSONResponse:
    return idempotent.run(
        db,
        actor,
        key=key,
        scope="POST /users",
        payload=data,
        status_code=201,
        work=lambda s: UserRead.model_validate(service.create_user(session=s, actor=actor, data=data)),
        location=lambda body: f"/api/v1/users/{body['id']}",
    )


@router.get("/users/{ref}", response_model=UserRead, responses=versions.TAGGED)
def get_user(ref: str, db: Db, actor: ApiActor, response: Response) -> UserRead:
    """One user by id or email (requesters: only themself)."""
    with db.unit_of_work() as session:
        read = UserRead.model_validate(service.get_user(session=session, actor=actor, ref=ref))
    return versions.tag(response, read)


@router.patch("/users/{ref}", response_model=UserRead, responses=versions.VERSIONED)
def update_user(
    ref: str, data: UserUpdate, db: Db, actor: ApiActor, response: Response, if_match: versions.IfMatch = None
) -> UserRead:
    expected = versions.expected_version(if_match, data.version)
    with db.unit_of_work() as session:
        user = service.update_user(
            session=session, actor=actor, ref=ref, data=data, expected_version=expected
        )
        read = UserRead.model_validate(user)
    return versions.tag(response, read)


@router.post("/users/{ref}/password", status_code=204)
def reset_password(ref: str, data: PasswordChange, db: Db, actor: ApiActor) -> Response:
    """Administrators set another user's password; that user's sessions end and tokens are revoked."""
    with db.unit_of_work() as session:
        service.set_password(
            session=session,
            actor=actor,
            ref=ref,
            new_password=data.new_password.get_secret_value(),
            current_password=data.current_password.get_secret_value() if data.current_password else None,
            revoke_tokens=data.revoke_tokens,
        )
    return Response(status_code=204)


@router.get("/teams", response_model=TeamPage)
def list_teams(db: Db, actor: ApiActor, query: Annotated[SyncQuery, Query()]) -> TeamPage:
    """Teams with their manager and members (requesters: only teams they belong to), a page at a time."""
    with db.unit_of_work() as session:
        return TeamPage.model_validate(
            service.page_teams(session=session, actor=actor, query=query), from_attributes=True
        )


@router.post(
    "/teams", response_model=TeamRead, status_code=201, responses={201: {"headers": idempotent.LOCATION}}
)
def create_team(data: TeamCreate, db: Db, actor: ApiActor, key: idempotent.IdemKey = None) -> JSONResponse:
    def work(session: Session) -> TeamRead:
        team = service.create_team(session=session, actor=actor, data=data)
        return TeamRead.model_validate(service.get_team(session=session, actor=actor, ref=team.id))

    return idempotent.run(
        db,
        actor,
        key=key,
        scope="POST /teams",
        payload=data,
        status_code=201,
        work=work,
        location=lambda body: f"/api/v1/teams/{body['id']}",
    )


@router.get("/teams/{ref}", response_model=TeamRead, responses=versions.TAGGED)
def get_team(ref: str, db: Db, actor: ApiActor, response: Response) -> TeamRead:
    with db.unit_of_work() as session:
        read = TeamRead.model_validate(service.get_team(session=session, actor=actor, ref=ref))
    return versions.tag(response, read)


@router.patch("/teams/{ref}", response_model=TeamRead, responses=versions.VERSIONED)
def update_team(
    ref: str, data: TeamUpdate, db: Db, actor: ApiActor, response: Response, if_match: versions.IfMatch = None
) -> TeamRead:
    """Administrators rename a team, change its manager or replace its members."""
    expected = versions.expected_version(if_match, data.version)
    with db.unit_of_work() as session:
        team = service.update_team(
            session=session, actor=actor, ref=ref, data=data, expected_version=expected
        )
        read = TeamRead.model_validate(team)
    return versions.tag(response, read)


@router.get("/tokens", response_model=TokenPage)
def list_tokens(db: Db, actor: ApiActor, query: Annotated[TokenQuery, Query()]) -> TokenPage:
    """Your tokens (administrators: `user`'s), newest first, a page at a time."""
    with db.unit_of_work() as session:
        found = service.tokens.page_for(session=session, actor=actor, query=query, user=query.user)
        return TokenPage.model_validate(found, from_attributes=True)


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(data: TokenCreate, db: Db, actor: ApiActor) -> TokenCreated:
    with db.unit_of_work() as session:
        token, raw = service.tokens.create(session=session, actor=actor, data=data)
        return TokenCreated.model_validate({**TokenRead.model_validate(token).model_dump(), "token": raw})


@router.delete("/tokens/{token_id}", response_model=TokenRead)
def revoke_token(token_id: uuid.UUID, db: Db, actor: ApiActor) -> TokenRead:
    with db.unit_of_work() as session:
        return TokenRead.model_validate(
            service.tokens.revoke(session=session, actor=actor, token_id=token_id)
        )
