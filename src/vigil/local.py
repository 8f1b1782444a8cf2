"""The library on a database: `vigil.connect("sqlite:///...")` migrates it, gives an empty one its
administrator, and runs each facade call in one unit of work as the chosen user."""

from __future__ import annotations

from vigil import domains
from vigil import migrate as migrations
from vigil.auth import service as auth_service
from vigil.auth.settings import get_auth_settings
from vigil.core.actor import Channel
from vigil.core.db import Database
from vigil.core.errors import Unavailable
from vigil.core.facade import LocalTransport


def database_transport(url: str, *, user: str | None = None, migrate: bool = True) -> LocalTransport:
    """Calls act as `user` (an email) with that user's rights, else as the first administrator.

    A database that cannot be opened, or (with `migrate=False`) is not at this Vigil's schema, raises
    `vigil.Unavailable` here, with one line saying what is wrong and what to run."""
    problem = migrations.database_problem(url, migrating=True)
    if problem is None and not migrate:
        problem = migrations.database_problem(url)
        problem = problem and f"{problem}, or connect with migrate=True"
    if problem is not None:
        raise Unavailable(problem)
    if migrate:
        migrations.upgrade(url)
    db = Database(url)
    with db.unit_of_work() as session:  # an empty database gets its administrator, without a password
        auth_service.ensure_first_admin(session, get_auth_settings().admin_email, None, generate=False)
    domains.load()
    return LocalTransport(db, lambda session: auth_service.operator_actor(session, Channel.LIBRARY, user))
