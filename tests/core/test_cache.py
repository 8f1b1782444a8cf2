"""Reference data cached per process (core/cache.py), shown on incident categories: a change made through
this process counts at once; one made elsewhere is never refused for being unknown, and an addition is
seen immediately."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dbutil import BACKENDS, fresh_database
from tests.factories.incidents import make_incident
from vigil import migrate
from vigil.auth import service as auth_service
from vigil.core.actor import Actor, Channel
from vigil.core.db import Database
from vigil.core.errors import Invalid
from vigil.incidents.service import categories


@pytest.fixture(params=BACKENDS)
def two_processes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """Two engines over one committed database: as two server processes see it."""
    with fresh_database(request.param, tmp_path) as url:
        migrate.upgrade(url)
        first, second = Database(url), Database(url)
        with first.unit_of_work() as s:
            auth_service.ensure_first_admin(s, "admin@vigil.example", None, generate=False)
        try:
            yield first, second
        finally:
            first.dispose()
            second.dispose()


def _admin(db: Database) -> Actor:
    with db.unit_of_work() as s:
        return auth_service.operator_actor(s, Channel.CLI, None)


def test_a_category_retired_here_is_refused_at_once(two_processes: tuple[Database, Database]) -> None:
    db, _ = two_processes
    admin = _admin(db)
    with db.unit_of_work() as s:
        assert make_incident(s, admin, category="Database").category == "Database"  # now cached
    with db.unit_of_work() as s:
        categories.set_active(session=s, actor=admin, name="Database", active=False)
    with db.unit_of_work() as s, pytest.raises(Invalid, match="unknown category 'Database'"):
        make_incident(s, admin, category="Database")


def test_a_category_added_elsewhere_is_accepted_at_once(two_processes: tuple[Database, Database]) -> None:
    here, elsewhere = two_processes
    admin = _admin(here)
    with here.unit_of_work() as s:
        make_incident(s, admin, category="Database")  # this process has cached the list
    with elsewhere.unit_of_work() as s:
        categories.add(session=s, actor=admin, name="Storage")
    with here.unit_of_work() as s:
        assert make_incident(s, admin, category="Storage").category == "Storage"


def test_a_rolled_back_addition_is_never_cached(two_processes: tuple[Database, Database]) -> None:
    db, _ = two_processes
    admin = _admin(db)
    with pytest.raises(RuntimeError), db.unit_of_work() as s:
        categories.add(session=s, actor=admin, name="Phantom")
        assert (
            make_incident(s, admin, category="Phantom").category == "Phantom"
        )  # seen in its own transaction
        raise RuntimeError("roll back")
    with db.unit_of_work() as s, pytest.raises(Invalid, match="unknown category 'Phantom'"):
        make_incident(s, admin, category="Phantom")
