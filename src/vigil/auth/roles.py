"""Role names. An actor's roles decide which actions it may take (see each domain's policy.ACTIONS)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    REQUESTER = "requester"
    AGENT = "agent"
    CHANGE_MANAGER = "change_manager"
    #: Keeps the CMDB: registers, edits, relates, imports and retires configuration items.
    CMDB_MANAGER = "cmdb_manager"
    MANAGER = "manager"
    ADMIN = "admin"


STAFF = frozenset({Role.AGENT, Role.CHANGE_MANAGER, Role.MANAGER, Role.ADMIN})
SEE_ALL = frozenset({Role.MANAGER, Role.ADMIN})
