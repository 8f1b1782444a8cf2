"""Identity use cases: users and teams, web sessions, API tokens."""

from vigil.auth.service import sessions, tokens
from vigil.auth.service.users import (
    actor_for,
    anonymous,
    create_team,
    create_user,
    end_sessions,
    ensure_first_admin,
    get_user,
    list_teams,
    list_users,
    operator_actor,
    resolve_team,
    resolve_user,
    set_password,
    system_actor,
    update_user,
)

__all__ = [
    "actor_for",
    "anonymous",
    "create_team",
    "create_user",
    "end_sessions",
    "ensure_first_admin",
    "get_user",
    "list_teams",
    "list_users",
    "operator_actor",
    "resolve_team",
    "resolve_user",
    "sessions",
    "set_password",
    "system_actor",
    "tokens",
    "update_user",
]
