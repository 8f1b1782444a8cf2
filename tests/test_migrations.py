"""Alembic: the tree round-trips on every backend, and the models agree with the migrations."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tests.dbutil import BACKENDS, fresh_database
from vigil import migrate
from vigil.core.db import make_engine
from vigil.core.search import include_name
from vigil.models import metadata


@pytest.mark.parametrize("backend", BACKENDS)
def test_upgrade_downgrade_upgrade(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert "incident" in inspect(engine).get_table_names()
        migrate.downgrade(url, "base")
        assert migrate.current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(url)
        with engine.connect() as conn:
            categories = (
                conn.execute(text("SELECT name FROM incident_category ORDER BY position")).scalars().all()
            )
        assert categories == ["AI Services", "Database", "API", "Infrastructure", "Billing", "Other"]
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_models_match_migrations(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        with engine.connect() as conn:
            opts = {"compare_type": True, "render_as_batch": True, "include_name": include_name}
            ctx = MigrationContext.configure(conn, opts=opts)
            diff = compare_metadata(ctx, metadata)
        engine.dispose()
    assert diff == [], f"models and migrations disagree; generate a migration: {diff}"


def test_head_is_single() -> None:
    heads = ScriptDirectory.from_config(migrate.config("sqlite://")).get_heads()
    assert len(heads) == 1, f"multiple migration heads: {heads}"
