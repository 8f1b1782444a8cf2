"""Users, teams and actors for tests."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.auth.models import Team, User
from vigil.auth.roles import Role
from vigil.auth.schemas import TeamCreate, TokenCreate, UserCreate
from vigil.auth.settings import AuthSettings
from vigil.core.actor import Actor, Channel

_seq = itertools.count(1)


def make_user(session: Session, admin: Actor, role: Role = Role.AGENT, name: str | None = None) -> User:
    n = next(_seq)
    return auth_service.create_user(
        session=session,
        actor=admin,
        data=UserCreate(
            email=f"{name or role.value}{n}@example.com", display_name=f"{name or role.value} {n}", role=role
        ),
    )


def make_team(session: Session, admin: Actor, *members: User, name: str | None = None) -> Team:
    return auth_service.create_team(
        session=session,
        actor=admin,
        data=TeamCreate(name=name or f"Team {next(_seq)}", members=[m.email for m in members]),
    )


def actor(session: Session, user: User, channel: Channel = Channel.API) -> Actor:
    session.refresh(user)
    return auth_service.actor_for(user, channel)


def api_token(session: Session, user_id: uuid.UUID | None, scope: str = "write") -> str:
    """A fresh personal access token of that user (created as the user themself)."""
    user = auth_service.load_user(session, user_id)  # type: ignore[arg-type]
    _, raw = auth_service.tokens.create(
        session=session,
        actor=auth_service.actor_for(user, Channel.API),
        data=TokenCreate(name="test", scope=scope),
    )
    return raw


class WebClient(TestClient):
    """A TestClient whose form posts carry the session's CSRF token unless the test sets one."""

    csrf = ""

    def post(self, url: Any, *args: Any, data: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if isinstance(data, dict) and "csrf_token" not in data:
            data = {**data, "csrf_token": self.csrf}
        elif data is None and "json" not in kwargs and "content" not in kwargs and "files" not in kwargs:
            data = {"csrf_token": self.csrf}
        return super().post(url, *args, data=data, **kwargs)


def login_as(client: WebClient, session: Session, user_id: uuid.UUID | None) -> None:
    """Give `client` a session of that user, as a successful login would."""
    user = auth_service.load_user(session, user_id)  # type: ignore[arg-type]
    raw, csrf = auth_service.sessions.start(
        session, user, ip="testclient", user_agent="pytest", settings=AuthSettings()
    )
    client.cookies.set("vigil_session", raw)
    client.csrf = csrf
