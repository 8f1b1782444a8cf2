"""Who is acting, through which channel: passed explicitly to every service call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Channel(StrEnum):
    API = "api"
    WEB = "web"
    CLI = "cli"
    JOB = "job"
    LIBRARY = "library"


@dataclass(frozen=True)
class Actor:
    """An authenticated principal. `roles` holds role names (see `vigil.auth.roles.Role`)."""

    user_id: uuid.UUID | None
    roles: frozenset[str]
    channel: Channel
    request_id: str | None = None
    display_name: str = "system"
    team_ids: frozenset[uuid.UUID] = field(default_factory=frozenset)
    #: The scopes of the API token in use (read, write, admin); None when not acting through a token.
    scopes: frozenset[str] | None = None

    def has_any(self, roles: set[str] | frozenset[str]) -> bool:
        return bool(self.roles & roles)
