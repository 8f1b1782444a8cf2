"""The directory as lists: users and teams for pickers and admin pages, and the API's pages of them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from vigil.auth import policy
from vigil.auth.models import Team, User
from vigil.auth.roles import STAFF
from vigil.core import pagination
from vigil.core.actor import Actor
from vigil.core.pagination import Page
from vigil.core.schemas import SyncQuery


def list_users(
    *,
    session: Session,
    actor: Actor,
    include_inactive: bool = False,
    staff_only: bool = False,
    with_teams: bool = False,
) -> list[User]:
    """Users `actor` may see, by name (`with_teams`: their teams too); a requester sees only themself (the directory is
    for staff). `staff_only` keeps those who can be assigned work (no requesters)."""
    stmt = select(User).where(policy.visible_users(actor)).order_by(User.display_name, User.id)
    if with_teams:
        stmt = stmt.options(selectinload(User.teams))
    if not include_inactive:
        stmt = stmt.where(User.active.is_(True))
    if staff_only:
        stmt = stmt.where(User.role.in_([str(r) for r in STAFF]))
    return list(session.scalars(stmt))


def team_names(*, session: Session, actor: Actor) -> list[str]:
    """Names of the teams `actor` may see, for pickers (nothing else loaded)."""
    return list(session.scalars(select(Team.name).where(policy.visible_teams(actor)).order_by(Team.name)))


def page_users(*, session: Session, actor: Actor, query: SyncQuery) -> Page[User]:
    """A page of the users `actor` may see, by name (the API's list). Only active ones, except for a
    sync client (`updated_after`), which must also learn who was deactivated."""
    stmt = select(User).where(policy.visible_users(actor))
    if query.updated_after is None:
        stmt = stmt.where(User.active.is_(True))
    return pagination.synced_page(
        session, stmt, query, column=User.display_name, id_column=User.id, updated_column=User.updated_at,
        sort="users:display_name",
    )  # fmt: skip


def page_teams(*, session: Session, actor: Actor, query: SyncQuery) -> Page[Team]:
    """A page of the teams `actor` may see, by name, with their manager and members."""
    stmt = (
        select(Team)
        .where(policy.visible_teams(actor))
        .options(selectinload(Team.members), selectinload(Team.manager))
    )
    return pagination.synced_page(
        session, stmt, query, column=Team.name, id_column=Team.id, updated_column=Team.updated_at,
        sort="teams:name",
    )  # fmt: skip


def list_teams(*, session: Session, actor: Actor) -> list[Team]:
    """Teams `actor` may see, by name, with their managers and members (one query each)."""
    stmt = (
        select(Team)
        .where(policy.visible_teams(actor))
        .options(selectinload(Team.members), selectinload(Team.manager))
        .order_by(Team.name)
    )
    return list(session.scalars(stmt))
