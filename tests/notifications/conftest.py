"""Notification test helpers: run the job queue dry, read a user's inbox, a small team world."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.factories.auth import make_user
from vigil.auth import service as auth_service
from vigil.auth.models import Team, User
from vigil.auth.roles import Role
from vigil.auth.schemas import TeamCreate
from vigil.core.actor import Actor, Channel
from vigil.core.db import Database
from vigil.core.jobs import worker
from vigil.notifications.models import Notification


def as_actor(s: Session, user: User) -> Actor:
    """The actor of a user made in an earlier unit of work (through the API channel)."""
    return auth_service.actor_for(s.get_one(User, user.id), Channel.API)


def drain(db: Database) -> int:
    """Run jobs until none is due (events fan out to handlers as jobs, in their own transactions)."""
    total = 0
    while ran := worker.run_pending(db, batch=50):
        total += ran
    return total


def inbox_of(db: Database, user: User) -> list[tuple[str, str]]:
    """(kind, title) of every notification of `user`, oldest first."""
    with db.unit_of_work() as s:
        rows = s.execute(
            select(Notification.kind, Notification.title)
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at, Notification.title)
        ).all()
        return [(r.kind, r.title) for r in rows]


@dataclass
class People:
    requester: User
    agent: User
    colleague: User
    manager: User
    outsider: User
    team: Team


@pytest.fixture
def people(db: Database, admin: Actor) -> People:
    with db.unit_of_work() as s:
        return _people(s, admin)


def _people(s: Session, admin: Actor) -> People:
    requester = make_user(s, admin, Role.REQUESTER, name="req")
    agent = make_user(s, admin, Role.AGENT, name="agent")
    colleague = make_user(s, admin, Role.AGENT, name="colleague")
    manager = make_user(s, admin, Role.MANAGER, name="manager")
    outsider = make_user(s, admin, Role.AGENT, name="outsider")
    team = auth_service.create_team(
        session=s,
        actor=admin,
        data=TeamCreate(name=f"Queue {agent.id.hex[:8]}", members=[agent.email, colleague.email],
                        manager=manager.email),
    )  # fmt: skip
    return People(requester, agent, colleague, manager, outsider, team)
