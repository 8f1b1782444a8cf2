"""Who may see and manage users, teams and tokens: visibility predicates, the action table, token scopes."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from vigil.auth.models import ApiToken, Team, User
from vigil.auth.roles import STAFF, Role
from vigil.core import permissions
from vigil.core.actor import Actor
from vigil.core.errors import Forbidden

ADMIN = frozenset({Role.ADMIN})

ACTIONS: dict[str, frozenset[str]] = {
    "user.create": ADMIN,
    "user.update": ADMIN,
    "user.reset_password": ADMIN,
    "team.create": ADMIN,
    "team.update": ADMIN,
    "token.manage_others": ADMIN,
}

#: Why a refusal happened, in words people use.
REASONS = {
    "user.create": "only administrators manage users and teams",
    "user.update": "only administrators manage users and teams",
    "user.reset_password": "only administrators set other users' passwords",
    "team.create": "only administrators manage users and teams",
    "team.update": "only administrators manage users and teams",
    "token.manage_others": "only administrators manage other users' tokens",
}

#: Scopes of API tokens; each includes the ones before it.
SCOPE_ORDER = ("read", "write", "admin")


def can(actor: Actor, action: str) -> bool:
    return permissions.can(actor, ACTIONS, action)


def is_staff(actor: Actor) -> bool:
    """Staff work in the agent pages; everyone else (requesters) gets the self-service portal."""
    return actor.has_any(STAFF)


def require(actor: Actor, action: str) -> None:
    """Forbidden (403, with the reason in words) unless `actor` may take `action`."""
    if not can(actor, action):
        raise Forbidden(REASONS[action])


def visible_users(actor: Actor) -> ColumnElement[bool]:
    """The directory is for staff: a requester sees only their own account."""
    if actor.has_any(STAFF):
        return true()
    if actor.user_id is None:
        return false()
    return User.id == actor.user_id


def visible_teams(actor: Actor) -> ColumnElement[bool]:
    """Staff see every team; a requester only the teams they belong to."""
    if actor.has_any(STAFF):
        return true()
    if not actor.team_ids:
        return false()
    return Team.id.in_(actor.team_ids)


def visible_tokens(actor: Actor) -> ColumnElement[bool]:
    """Your own tokens; administrators see everyone's."""
    if can(actor, "token.manage_others"):
        return true()
    if actor.user_id is None:
        return false()
    return ApiToken.user_id == actor.user_id


def scope_allows(scopes: frozenset[str] | None, needed: str) -> bool:
    """The one place token scopes are decided: does a token with `scopes` (None: not acting through a
    token, e.g. a web session or the CLI) allow what needs `needed` ("read", "write" or "admin")?"""
    return scopes is None or needed in scopes


def roles_for(role: str, scopes: frozenset[str] | None) -> frozenset[str]:
    """The roles a user acts with: an administrator's token without the admin scope acts as a manager."""
    if role == Role.ADMIN and not scope_allows(scopes, "admin"):
        return frozenset({Role.MANAGER})
    return frozenset({role})


def scopes_for(scope: str) -> list[str]:
    """What a token created with `scope` holds (the scope and every lesser one)."""
    return list(SCOPE_ORDER[: SCOPE_ORDER.index(scope) + 1])
