"""Alembic driven from code: `vigil db upgrade|downgrade|current` and the readiness probe use this."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

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


def database_problem(url: str, *, migrating: bool = False) -> str | None:
    """What stops this Vigil from working on the database at `url`, in one line that says what to run;
    None when it can. `migrating`: the caller is about to migrate, so a missing or old schema (or a new
    SQLite file) is no problem, only a database that cannot be opened or that a newer Vigil migrated.

    Cheap enough to run before every CLI command: one connection and one query. It never creates a
    SQLite file (connecting to a missing one would)."""
    engine = make_engine(url)
    shown = make_url(url).render_as_string()  # as given, the password hidden
    try:
        where = sqlite_file(url)
        if where is not None:
            if not where.parent.is_dir():
                return f"cannot open the database {shown}: the directory {where.parent} does not exist"
            if not where.exists():
                if migrating:
                    return None
                return f"there is no database at {where}: run `vigil db upgrade` to create it"
        try:
            current = current_revision(engine)
        except SQLAlchemyError as exc:
            return f"cannot open the database {shown}: {reason(exc)} (is the URL right?)"
    finally:
        engine.dispose()
    head = head_revision()
    if current == head:
        return None
    if current is not None and not known_revision(current):
        return (
            f"the database {shown} is at schema revision {current}, which this Vigil does not know: "
            "a newer Vigil migrated it; run that version (or restore a backup)"
        )
    if migrating:
        return None
    if current is None:
        return f"the database {shown} has no Vigil schema yet: run `vigil db upgrade`"
    return (
        f"the database {shown} is at schema revision {current}; this Vigil needs {head}: "
        "run `vigil db upgrade` (back it up first)"
    )


def sqlite_file(url: str) -> Path | None:
    """The file of a file-backed SQLite URL; None for PostgreSQL and in-memory SQLite."""
    parsed = make_url(url)
    path = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


def known_revision(revision: str) -> bool:
    """True when `revision` is one of this Vigil's migrations."""
    try:
        return ScriptDirectory.from_config(config("sqlite://")).get_revision(revision) is not None
    except Exception:  # alembic raises its own errors (ResolutionError, CommandError) for unknown ids
        return False


def reason(exc: BaseException) -> str:
    """A database driver's message on one line (psycopg's is several: the failure, then a hint)."""
    text = str(getattr(exc, "orig", None) or exc)
    return " ".join(word for line in text.splitlines() if "sqlalche.me" not in line for word in line.split())
