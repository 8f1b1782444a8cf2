"""Who sees a notification: its user, and nobody else (administrators included: an inbox is personal)."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from vigil.core.actor import Actor
from vigil.notifications.models import Notification


def visible(actor: Actor) -> ColumnElement[bool]:
    """The one condition every inbox read and write goes through; a system actor (no user) sees none."""
    if actor.user_id is None:
        return Notification.id.is_(None)  # always false: ids are never null
    return Notification.user_id == actor.user_id
