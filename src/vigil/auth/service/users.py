"""Users and teams: creation, lookup, roles, passwords, deactivation, and the actors that run as them."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from vigil.auth import credentials, policy
from vigil.auth.models import ApiToken, Team, User, UserSession
from vigil.auth.roles import Role
from vigil.auth.schemas import TeamCreate, TeamUpdate, UserCreate, UserUpdate
from vigil.core import audit, clock
from vigil.core.actor import Actor, Channel
from vigil.core.errors import Conflict, Duplicate, Invalid, NotFound, check_version
from vigil.core.refs import as_uuid, ref_clause


def actor_for(
    user: User, channel: Channel, request_id: str | None = None, scopes: frozenset[str] | None = None
) -> Actor:
    """The actor `user` acts as. An administrator's token without the admin scope acts as a manager."""
    return Actor(
        user_id=user.id,
        roles=policy.roles_for(user.role, scopes),
        channel=channel,
        request_id=request_id,
        display_name=user.display_name,
        team_ids=frozenset(t.id for t in user.teams),
        scopes=scopes,
    )


def system_actor(channel: Channel = Channel.JOB) -> Actor:
    """Vigil itself, for scheduled work (auto-close and the like)."""
    return Actor(user_id=None, roles=frozenset({Role.ADMIN}), channel=channel, display_name="Vigil")


def anonymous(channel: Channel, request_id: str | None = None) -> Actor:
    """Someone not (yet) authenticated, as recorded for failed logins."""
    return Actor(
        user_id=None, roles=frozenset(), channel=channel, request_id=request_id, display_name="anonymous"
    )


def operator_actor(session: Session, channel: Channel, as_email: str | None = None) -> Actor:
    """Who a local CLI or library call acts as: the named user, else the first active administrator.

    Whoever runs the CLI or the library already holds the database credentials; on a database with no
    administrator yet this is the operator itself, so that `vigil user create` can make the first one.
    """
    if as_email:
        return actor_for(resolve_user(session, as_email), channel)
    first = session.scalars(
        select(User)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.created_at, User.id)
        .limit(1)
    ).first()
    if first is not None:
        return actor_for(first, channel)
    return Actor(
        user_id=None, roles=frozenset({Role.ADMIN}), channel=channel, display_name=f"{channel} operator"
    )


def create_user(*, session: Session, actor: Actor, data: UserCreate) -> User:
    policy.require(actor, "user.create")
    email = data.email.lower()
    if session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email)):
        raise Duplicate(f"a user with email {email} already exists")
    now = clock.now()
    user = User(email=email, display_name=data.display_name, role=data.role, active=True, created_at=now)
    if data.password is not None:
        user.password_hash = credentials.hash_password(data.password.get_secret_value())
        user.password_changed_at = now
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        action="user.create",
        object_type="user",
        object_id=user.id,
        changes={
            "email": [None, email],
            "role": [None, str(data.role)],
            "display_name": [None, user.display_name],
        },
    )
    return user


def ensure_first_admin(
    session: Session, email: str, password: str | None, *, generate: bool = True
) -> tuple[User, str | None] | None:
    """Create the first administrator when there is none; returns it and its generated password, if any.

    Without a password and with `generate` off the account exists but cannot log in until one is set.
    """
    if session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN, User.active.is_(True))
    ):
        return None
    generated = None if password or not generate else credentials.generate_password()
    data = UserCreate.model_validate(
        {
            "email": email,
            "display_name": "Administrator",
            "role": Role.ADMIN,
            "password": password or generated,
        }
    )
    try:
        with session.begin_nested():  # another process starting at the same moment may win the race
            user = create_user(session=session, actor=system_actor(Channel.CLI), data=data)
    except (IntegrityError, Conflict):
        return None
    return user, generated


def update_user(
    *,
    session: Session,
    actor: Actor,
    ref: str,
    data: UserUpdate,
    expected_version: int | frozenset[int] | None = None,
) -> User:
    """Change a user's name, role or active flag. Deactivation ends every session and revokes every token.

    Re-enabling brings neither back: the user logs in again and makes new tokens.
    """
    policy.require(actor, "user.update")
    user = resolve_user(session, ref, include_inactive=True)
    check_version(user.email, user.version, expected_version)
    changes: audit.Changes = {}
    given = data.model_fields_set
    if "display_name" in given and data.display_name and data.display_name != user.display_name:
        changes["display_name"] = [user.display_name, data.display_name]
        user.display_name = data.display_name
    if "role" in given and data.role and data.role != user.role:
        if user.id == actor.user_id:
            raise Conflict("you cannot change your own role; ask another administrator")
        changes["role"] = [user.role, str(data.role)]
        user.role = data.role
    if "active" in given and data.active is not None and data.active != user.active:
        if user.id == actor.user_id:
            raise Conflict("you cannot deactivate yourself")
        changes["active"] = [user.active, data.active]
        user.active = data.active
        if not data.active:
            end_sessions(session, user.id)
            _revoke_all_tokens(session, actor, user, reason="deactivated")
    if changes:
        session.flush()
        action = "user.role_change" if "role" in changes else "user.update"
        audit.record(session, actor, action=action, object_type="user", object_id=user.id, changes=changes)
    return user


def set_password(
    *,
    session: Session,
    actor: Actor,
    ref: str,
    new_password: str,
    current_password: str | None = None,
    revoke_tokens: bool = False,
) -> User:
    """Change a password: your own (knowing the current one) or anyone's as an administrator.

    Every session of that user ends, including the one that made the change. An administrator's reset
    also revokes every API token of that user; changing your own revokes yours only when asked.
    """
    user = own_account(session, actor, ref)
    if user is None:
        policy.require(
            actor, "user.reset_password"
        )  # before any lookup: a non-admin's answer must not depend on who exists
        user = resolve_user(session, ref, include_inactive=True)
    own = user.id == actor.user_id
    if own and not credentials.check_password(current_password or "", user.password_hash):
        raise Invalid("the current password is wrong", field="current_password")
    user.password_hash = credentials.hash_password(new_password)
    user.password_changed_at = clock.now()
    end_sessions(session, user.id)
    session.flush()
    audit.record(
        session,
        actor,
        action="user.password_change",
        object_type="user",
        object_id=user.id,
        changes={"password": ["***", "***"]},
    )
    if revoke_tokens or not own:
        _revoke_all_tokens(session, actor, user, reason="password_change" if own else "password_reset")
    return user


def own_account(session: Session, actor: Actor, ref: str) -> User | None:
    """The actor's own account when `ref` (an id or an email) names it, else None.

    Decided by comparing with the actor alone, so a caller can refuse a non-admin before looking up anyone
    else: the answer then cannot reveal whether another account exists or is disabled.
    """
    me = session.get(User, actor.user_id) if actor.user_id else None
    if me is None:
        return None
    given = ref.strip()
    return me if as_uuid(given) == me.id or given.lower() == me.email.lower() else None


def _revoke_all_tokens(session: Session, actor: Actor, user: User, *, reason: str) -> list[uuid.UUID]:
    """Revoke every live token of `user` in one audit record; returns the revoked ids."""
    now = clock.now()
    live = list(
        session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .order_by(ApiToken.created_at, ApiToken.id)
        )
    )
    for token in live:
        token.revoked_at = now
    if live:
        session.flush()
        audit.record(
            session,
            actor,
            action="token.revoke_all",
            object_type="user",
            object_id=user.id,
            changes={"tokens": [None, [str(t.id) for t in live]], "reason": [None, reason]},
        )
    return [t.id for t in live]


def end_sessions(session: Session, user_id: uuid.UUID) -> int:
    result = session.execute(delete(UserSession).where(UserSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def create_team(*, session: Session, actor: Actor, data: TeamCreate) -> Team:
    policy.require(actor, "team.create")
    if session.scalar(select(func.count()).select_from(Team).where(Team.name == data.name)):
        raise Duplicate(f"a team named {data.name!r} already exists")
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


def get_team(*, session: Session, actor: Actor, ref: str | uuid.UUID) -> Team:
    """A team by id or name, with its manager and members, if `actor` may see it; otherwise a 404."""
    stmt = (
        select(Team)
        .where(ref_clause(Team.id, Team.name, ref), policy.visible_teams(actor))
        .options(selectinload(Team.members), selectinload(Team.manager))
    )
    team = session.scalars(stmt).one_or_none()
    if team is None:
        raise NotFound(f"team {ref} not found")
    return team


def update_team(
    *,
    session: Session,
    actor: Actor,
    ref: str,
    data: TeamUpdate,
    expected_version: int | frozenset[int] | None = None,
) -> Team:
    """Rename a team, change its manager, or replace its members; audited as old → new."""
    team = get_team(session=session, actor=actor, ref=ref)
    policy.require(actor, "team.update")
    check_version(f"team {team.name}", team.version, expected_version)
    before = _team_snapshot(team)
    given = data.model_fields_set
    if "name" in given and data.name and data.name != team.name:
        if session.scalar(select(func.count()).select_from(Team).where(Team.name == data.name)):
            raise Duplicate(f"a team named {data.name!r} already exists")
        team.name = data.name
    if "manager" in given:
        team.manager = resolve_user(session, data.manager) if data.manager else None
    if "members" in given and data.members is not None:
        team.members = list({u.id: u for u in (resolve_user(session, r) for r in data.members)}.values())
    changes = audit.diff(before, _team_snapshot(team))
    if changes:
        flag_modified(team, "name")  # members live in another table: the team's version moves with them
        session.flush()
        audit.record(
            session, actor, action="team.update", object_type="team", object_id=team.id, changes=changes
        )
    return team


def _team_snapshot(team: Team) -> dict[str, Any]:
    return {
        "name": team.name,
        "manager": team.manager.email if team.manager else None,
        "members": sorted(u.email for u in team.members),
    }


def resolve_user(session: Session, ref: str, *, include_inactive: bool = False, field: str = "user") -> User:
    """Find a user by UUID or email; an unknown (or inactive) reference is Invalid input on `field`
    (the caller's name for it, such as "assigned_to"), not a 404."""
    user = session.scalars(
        select(User).where(ref_clause(User.id, func.lower(User.email), ref, key=ref.strip().lower()))
    ).one_or_none()
    if user is None or not (user.active or include_inactive):
        raise Invalid(f"unknown or inactive user {ref!r}", field=field)
    return user


def resolve_team(session: Session, ref: str, *, field: str = "team") -> Team:
    """Find a team by UUID or name; an unknown reference is Invalid input on `field`."""
    team = session.scalars(select(Team).where(ref_clause(Team.id, Team.name, ref))).one_or_none()
    if team is None:
        raise Invalid(f"unknown team {ref!r}", field=field)
    return team


def load_user(session: Session, user_id: uuid.UUID) -> User:
    """A user by id for other services acting on the actor's own behalf (no directory check)."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def get_user(*, session: Session, actor: Actor, ref: str | uuid.UUID) -> User:
    """A user by id or email, if `actor` may see it (requesters: only themself); otherwise a 404."""
    stmt = select(User).where(
        ref_clause(User.id, func.lower(User.email), ref, key=str(ref).strip().lower()),
        policy.visible_users(actor),
    )
    user = session.scalars(stmt).one_or_none()
    if user is None:
        raise NotFound("user not found")
    return user
