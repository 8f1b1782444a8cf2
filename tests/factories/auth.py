"""Users, teams and actors for tests."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.auth.models import Team, User
from vigil.auth.roles import Role
from vigil.auth.schemas import TeamCreate, UserCreate
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
