"""Alembic driven from code: `vigil db upgrade|downgrade|current` and the readiness probe use this."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from vigil.core import audit
from vigil.core.db import Database, make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d-%%(month).2d-%%(day).2d_%%(slug)s")
    return cfg


def upgrade(url: str, revision: str = "head") -> audit.Adoption | None:
    """Migrate to `revision`; at head, also bring audit records from before keying under the audit key.

    When anything was migrated the planner's statistics are refreshed (ANALYZE): a fresh database has
    none, and the visibility predicates are planned badly without them.
    """
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        command.upgrade(config(url), revision)
        if current_revision(engine) != before:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()
    return adopt_audit(url) if revision == "head" else None


def adopt_audit(url: str) -> audit.Adoption | None:
    """Re-MAC audit records written before keying (see `audit.adopt_legacy`); None below head.

    A legacy chain that fails to verify is left as it is and logged: `vigil audit verify` names it.
    """
    db = Database(url)
    try:
        if current_revision(db.engine) != head_revision():
            return None
        with db.unit_of_work() as session:
            adoption = audit.adopt_legacy(session)
    finally:
        db.dispose()
    if adoption.problem is not None:
        p = adoption.problem
        log.error(
            "audit records from before keying were not adopted: %s at seq %s: %s", p.kind, p.seq, p.detail
        )
    elif adoption.adopted:
        log.info("adopted %d audit records from before keying under the audit key", adoption.adopted)
    return adoption


def downgrade(url: str, revision: str) -> None:
    command.downgrade(config(url), revision)


def revision(message: str) -> str:
    """Autogenerate a new revision from the models against a scratch SQLite database at head."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'scratch.db'}"
        upgrade(url)
        script = command.revision(config(url), message=message, autogenerate=True)
    paths = [s.path for s in (script if isinstance(script, list) else [script]) if s is not None]
    return ", ".join(paths)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(config("sqlite://")).get_current_head()


def current_revision(bind: Engine | Connection) -> str | None:
    if isinstance(bind, Connection):
        return MigrationContext.configure(bind).get_current_revision()
    with bind.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
