"""Role-based action rights: each domain's policy names its actions and the roles that may take them."""

from __future__ import annotations

from collections.abc import Mapping

from vigil.core.actor import Actor
from vigil.core.errors import Forbidden

#: action name -> the role names allowed to take it
Rights = Mapping[str, frozenset[str]]


def can(actor: Actor, rights: Rights, action: str) -> bool:
    return actor.has_any(rights[action])


def require(actor: Actor, rights: Rights, action: str) -> None:
    """Forbidden (403) unless one of `actor`'s roles may take `action`."""
    if not can(actor, rights, action):
        raise Forbidden(f"your role may not perform {action}")
