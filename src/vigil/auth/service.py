"""Users and teams: creation, lookup by reference, and the actor that acts until login exists."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from vigil.auth.models import Team, User
from vigil.auth.roles import Role
from vigil.auth.schemas import TeamCreate, UserCreate
from vigil.core import audit, clock
from vigil.core.actor import Actor, Channel
from vigil.core.errors import Conflict, Forbidden, Invalid, NotFound

BOOTSTRAP_ADMIN_EMAIL = "admin@vigil.example"


def actor_for(user: User, channel: Channel, request_id: str | None = None) -> Actor:
    return Actor(
        user_id=user.id,
        roles=frozenset({user.role}),
        channel=channel,
        request_id=request_id,
        display_name=user.display_name,
        team_ids=frozenset(t.id for t in user.teams),
    )


def bootstrap_actor(session: Session, channel: Channel, request_id: str | None = None) -> Actor:
    """The built-in administrator every request acts as until the identity issue adds login."""
    query = select(User).where(User.email == BOOTSTRAP_ADMIN_EMAIL)
    user = session.scalars(query).one_or_none()
    if user is None:
        try:
            with session.begin_nested():  # another process may create it at the same moment
                user = User(
                    email=BOOTSTRAP_ADMIN_EMAIL,
                    display_name="Administrator",
                    role=Role.ADMIN,
                    active=True,
                    created_at=clock.now(),
                )
                session.add(user)
        except IntegrityError:
            user = session.scalars(query).one()
    return actor_for(user, channel, request_id)


def system_actor(channel: Channel = Channel.JOB) -> Actor:
    """Vigil itself, for scheduled work (auto-close and the like)."""
    return Actor(user_id=None, roles=frozenset({Role.ADMIN}), channel=channel, display_name="Vigil")


def _require_admin(actor: Actor) -> None:
    if Role.ADMIN not in actor.roles:
        raise Forbidden("only administrators manage users and teams")


def create_user(*, session: Session, actor: Actor, data: UserCreate) -> User:
    _require_admin(actor)
    email = data.email.lower()
    if session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email)):
        raise Conflict(f"a user with email {email} already exists")
    user = User(
        email=email, display_name=data.display_name, role=data.role, active=True, created_at=clock.now()
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        changes={"email": [None, email], "role": [None, str(data.role)]},
    )
    return user


def create_team(*, session: Session, actor: Actor, data: TeamCreate) -> Team:
    _require_admin(actor)
    if session.scalar(select(func.count()).select_from(Team).where(Team.name == data.name)):
        raise Conflict(f"a team named {data.name!r} already exists")
    members = [resolve_user(session, ref) for ref in data.members]
    manager = resolve_user(session, data.manager) if data.manager else None
    team = Team(
        name=data.name, created_at=clock.now(), members=members, manager_id=manager.id if manager else None
    )
    session.add(team)
    session.flush()
    audit.record(
        session,
        actor,
        action="team.create",
        object_type="team",
        object_id=team.id,
        changes={"name": [None, team.name], "members": [None, [u.email for u in team.members]]},
    )
    return team


def resolve_user(session: Session, ref: str) -> User:
    """Find an active user by UUID or email; an unknown reference is Invalid input, not a 404."""
    user = session.get(User, _uuid(ref)) if _uuid(ref) else None
    if user is None:
        user = session.scalars(
            select(User).where(func.lower(User.email) == ref.strip().lower())
        ).one_or_none()
    if user is None or not user.active:
        raise Invalid(f"unknown or inactive user {ref!r}", field="user")
    return user


def resolve_team(session: Session, ref: str) -> Team:
    team = session.get(Team, _uuid(ref)) if _uuid(ref) else None
    if team is None:
        team = session.scalars(select(Team).where(Team.name == ref.strip())).one_or_none()
    if team is None:
        raise Invalid(f"unknown team {ref!r}", field="team")
    return team


def _uuid(ref: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(ref)
    except ValueError:
        return None


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name)))


def list_teams(session: Session) -> list[Team]:
    return list(session.scalars(select(Team).order_by(Team.name)))
