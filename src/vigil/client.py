"""The Python library face: `vigil.connect(url)` runs the same services as the API, in-process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from vigil import domains
from vigil import migrate as migrations
from vigil.auth import service as auth_service
from vigil.auth.settings import get_auth_settings
from vigil.core import registry
from vigil.core.actor import Actor, Channel
from vigil.core.db import Database
from vigil.core.jobs import worker

R = TypeVar("R")


class Vigil:
    """A connection to one Vigil database. Each call is one transaction, like one API request."""

    def __init__(self, url: str, *, migrate: bool = True, user: str | None = None) -> None:
        if migrate:
            migrations.upgrade(url)
        self.db = Database(url)
        with (
            self.db.unit_of_work() as session
        ):  # an empty database gets its administrator, without a password
            auth_service.ensure_first_admin(session, get_auth_settings().admin_email, None, generate=False)
        self._user = user
        domains.load()
        self.facets: dict[str, Any] = {}
        for domain in registry.domains():
            if domain.facet is not None:  # e.g. `v.incidents`
                name, path = domain.facet
                self.facets[name] = registry.resolve(path)(self)

    def __getattr__(self, name: str) -> Any:
        facets = self.__dict__.get("facets", {})
        if name in facets:
            return facets[name]
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def actor(self, session: Session) -> Actor:
        """Calls act as `user` (an email), else the first administrator: the rules apply to them."""
        return auth_service.operator_actor(session, Channel.LIBRARY, self._user)

    def call(self, fn: Callable[[Session, Actor], R]) -> R:
        with self.db.unit_of_work() as session:
            return fn(session, self.actor(session))

    def run_jobs(self) -> int:
        """Run due background jobs now (what `vigil worker` does continuously)."""
        return worker.run_pending(self.db)

    def close(self) -> None:
        self.db.dispose()

    def __enter__(self) -> Vigil:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
