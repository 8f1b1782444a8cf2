"""Identity use cases: users and teams, web sessions, API tokens."""

from vigil.auth.service import sessions, tokens
from vigil.auth.service.directory import list_teams, list_users, page_teams, page_users, team_names
from vigil.auth.service.users import (
    actor_for,
    anonymous,
    create_team,
    create_user,
    end_sessions,
    ensure_first_admin,
    get_team,
    get_user,
    load_user,
    operator_actor,
    resolve_team,
    resolve_user,
    set_password,
    system_actor,
    update_team,
    update_user,
)

__all__ = [
    "actor_for",
    "anonymous",
    "create_team",
    "create_user",
    "end_sessions",
    "ensure_first_admin",
    "get_team",
    "get_user",
    "list_teams",
    "list_users",
    "load_user",
    "operator_actor",
    "page_teams",
    "page_users",
    "resolve_team",
    "resolve_user",
    "sessions",
    "set_password",
    "system_actor",
    "team_names",
    "tokens",
    "update_team",
    "update_user",
]
