"""Saved views: a person's own named filters over a list of records (any domain's queue).

A view stores the list page's query string as it was when saved (filters, sort, columns, page size), so
opening it replays exactly that list. Views are personal: nobody else sees, changes or deletes them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.core import audit, clock
from vigil.core.actor import Actor
from vigil.core.db import Base, UUIDPk
from vigil.core.errors import Duplicate, Forbidden, Invalid, NotFound

#: A person's views per list; beyond this, delete one first.
MAX_VIEWS = 30
NAME_MAX = 60
QUERY_MAX = 2000
#: Query parameters never kept in a view: the position in the list is not part of it.
TRANSIENT = {"cursor", "trail", "csrf_token"}


class SavedView(UUIDPk, Base):
    __tablename__ = "saved_view"
    __table_args__ = (UniqueConstraint("owner_id", "list_name", "name"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    #: Which list it filters, e.g. "incidents".
    list_name: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    query: Mapped[str] = mapped_column(String(QUERY_MAX))
    created_at: Mapped[datetime]


def clean_query(query: str) -> str:
    """The query string without paging state, in a stable order."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k not in TRANSIENT]
    return urlencode(sorted(pairs))


def mine(session: Session, actor: Actor, list_name: str) -> list[SavedView]:
    """`actor`'s views of `list_name`, by name."""
    if actor.user_id is None:
        return []
    stmt = (
        select(SavedView)
        .where(SavedView.owner_id == actor.user_id, SavedView.list_name == list_name)
        .order_by(SavedView.name)
    )
    return list(session.scalars(stmt))


def save(session: Session, actor: Actor, *, list_name: str, name: str, query: str) -> SavedView:
    """Save the list's current query as `name` for `actor`; a name already used is a 409."""
    if actor.user_id is None:
        raise Forbidden("only a signed-in person can save views")
    name = " ".join(name.split())
    if not name or len(name) > NAME_MAX:
        raise Invalid(f"give the view a name of 1 to {NAME_MAX} characters", field="name")
    query = clean_query(query)
    if len(query) > QUERY_MAX:
        raise Invalid("these filters are too long to save as a view", field="query")
    existing = mine(session, actor, list_name)
    if any(v.name.lower() == name.lower() for v in existing):
        raise Duplicate(f"you already have a view named {name!r}")
    if len(existing) >= MAX_VIEWS:
        raise Invalid(f"you have {MAX_VIEWS} views; delete one before saving another", field="name")
    view = SavedView(
        id=uuid.uuid4(),
        owner_id=actor.user_id,
        list_name=list_name,
        name=name,
        query=query,
        created_at=clock.now(),
    )
    session.add(view)
    audit.record(
        session,
        actor,
        action="saved_view.create",
        object_type="saved_view",
        object_id=view.id,
        changes={"name": [None, name], "list": [None, list_name], "query": [None, query]},
    )
    return view


def remove(session: Session, actor: Actor, view_id: uuid.UUID) -> None:
    """Delete one of `actor`'s own views; anyone else's (or none) is a 404."""
    view = session.get(SavedView, view_id)
    if view is None or view.owner_id != actor.user_id:
        raise NotFound("saved view not found")
    session.execute(delete(SavedView).where(SavedView.id == view_id))
    audit.record(
        session,
        actor,
        action="saved_view.delete",
        object_type="saved_view",
        object_id=view_id,
        changes={"name": [view.name, None]},
    )
