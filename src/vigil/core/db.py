"""Engine, declarative Base, column types and the unit of work that adapters (API, UI, CLI, jobs) run."""

from __future__ import annotations

import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, DateTime, Engine, MetaData, create_engine, event, update
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

from vigil.core.config import get_settings

log = logging.getLogger("vigil.db")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Vigil stores only timezone-aware UTC times")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class UUIDPk:
    """Mixin: a UUID primary key generated in Python, so it is known before flush."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and begins lazily; take it over so every
    # transaction starts with BEGIN IMMEDIATE: writers queue on the busy timeout instead of failing.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA cache_size=-{int(get_settings().sqlite_cache_mb) * 1024}")
        cur.close()

    _serialise_writers(engine)


#: SQLite: begin transactions DEFERRED (readers, concurrent in WAL, no writer slot) rather than IMMEDIATE.
#: Set by the web edge for the reading part of a request; writes always run IMMEDIATE (see `RequestDatabase`).
_DEFERRED: ContextVar[bool] = ContextVar("vigil_sqlite_deferred", default=False)


def read_transactions(deferred: bool) -> Token[bool]:
    """From here on in this context, SQLite transactions begin DEFERRED (reads) or IMMEDIATE (writes)."""
    return _DEFERRED.set(deferred)


@contextmanager
def writing() -> Iterator[None]:
    """SQLite transactions begun inside take the writer slot (BEGIN IMMEDIATE), whatever the context."""
    token = _DEFERRED.set(False)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


@contextmanager
def reading() -> Iterator[None]:
    """SQLite transactions begun inside are readers (BEGIN DEFERRED): they never wait for the writer slot,
    so a read may run while this thread's own write transaction holds it (a page's extras, say)."""
    token = _DEFERRED.set(True)
    try:
        yield
    finally:
        _DEFERRED.reset(token)


#: How long a transaction waits for SQLite's single writer slot before failing (a 503), as busy_timeout.
SQLITE_WAIT_SECONDS = 30.0


def _serialise_writers(engine: Engine) -> None:
    """Every transaction starts with BEGIN IMMEDIATE; threads of this process queue for it on a lock.

    SQLite admits one writer at a time. Left to its busy handler, a waiting thread sleeps and retries
    (1, 2, 5 ... 100 ms), so under concurrent writes most of the time is spent asleep with the database
    idle; a lock held from BEGIN to COMMIT/ROLLBACK hands the slot straight to the next thread. Other
    processes on the same file still wait through the busy handler.
    """
    slot = _WriterSlot(engine.dialect.do_commit, engine.dialect.do_rollback)
    event.listen(engine, "begin", slot.begin)
    event.listen(engine, "close", slot.closed)  # a connection closed mid-transaction
    engine.dialect.do_commit = slot.commit  # type: ignore[method-assign,assignment]
    engine.dialect.do_rollback = slot.rollback  # type: ignore[method-assign,assignment]


class _WriterSlot:
    KEY = "vigil_writer_slot"

    def __init__(self, commit: Callable[[Any], None], rollback: Callable[[Any], None]) -> None:
        self._lock = threading.Lock()
        self._commit, self._rollback = commit, rollback

    def begin(self, conn: Any) -> None:
        if _DEFERRED.get():  # a reader: WAL lets it run beside the writer, on its own snapshot
            conn.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=SQLITE_WAIT_SECONDS):
            raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))
        conn.connection.info[self.KEY] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.release(conn.connection)
            raise

    def commit(self, dbapi_conn: Any) -> None:
        try:
            self._commit(dbapi_conn)
        finally:
            self.release(dbapi_conn)

    def rollback(self, dbapi_conn: Any) -> None:  # also the pool's reset of a returned connection
        try:
            self._rollback(dbapi_conn)
        finally:
            self.release(dbapi_conn)

    def release(self, dbapi_conn: Any) -> None:
        try:
            info = dbapi_conn.info
        except NotImplementedError:  # an ad-hoc connection of the dialect's first connect: never held
            return
        if info.pop(self.KEY, False):
            self._lock.release()

    def closed(self, _dbapi_conn: Any, record: Any) -> None:
        if record is not None and record.info.pop(self.KEY, False):
            self._lock.release()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for SQLite or PostgreSQL; `postgresql://` URLs use psycopg 3."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite"):
        if ":memory:" not in url and url.rstrip("/") not in ("sqlite:", "sqlite+pysqlite:"):
            kwargs.setdefault("pool_size", get_settings().sqlite_pool_size)
            kwargs.setdefault("max_overflow", 0)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    # No pre-ping (a round trip on every checkout): connections are recycled instead, and a dead one
    # fails its request with a 503 and is dropped from the pool.
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 30)
    return create_engine(url, **kwargs)


class Database:
    """An engine plus the session factory the adapters open units of work from."""

    def __init__(
        self,
        url: str | None = None,
        *,
        engine: Engine | None = None,
        bind: Connection | None = None,
        **session_kw: Any,
    ) -> None:
        if engine is None:
            if url is None:
                raise ValueError("a database URL or an engine is required")
            engine = make_engine(url)
        self.engine = engine
        # `bind` lets the test suite run every unit of work inside one outer transaction (savepoints).
        self.sessions = sessionmaker(bind=bind or engine, expire_on_commit=False, **session_kw)

    @contextmanager
    def unit_of_work(self, session: Session | None = None) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any exception.

        `session` continues a transaction already begun (the web edge authenticates the caller in it, so
        a request is one transaction). After a commit, the callables a service put in
        `session.info["after_commit"]` run with this database (the audit log seals its new records this
        way); they must not raise.
        """
        session = session or self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            after = session.info.pop("after_commit", ())
            session.close()
        for hook in after:
            hook(self)

    def dispose(self) -> None:
        self.engine.dispose()


def touch_after_commit(session: Session, model: Any, row_id: uuid.UUID, column: str, value: Any) -> None:
    """Once `session`'s transaction commits, set `column` of one row in a short transaction of its own
    (a "last used" time): the request itself stays a read. A failure is logged, never raised."""

    def touch(db: Database) -> None:
        try:
            with writing(), db.unit_of_work() as s:
                s.execute(update(model).where(model.id == row_id).values({column: value}))
        except SQLAlchemyError:
            log.warning("could not record %s.%s of %s", model.__tablename__, column, row_id, exc_info=True)

    session.info.setdefault("after_commit", set()).add(touch)


class NoIndex(ColumnElement[Any]):
    """`column`, marked so SQLite will not look it up through an index (`+column`); plain elsewhere.

    SQLite plans an OR of indexed columns (an agent's visibility: requester, assignee, group) as a union
    of index lookups followed by a sort of every visible row; marking them lets it read the newest rows
    off the creation-order index instead (59 ms -> 0.3 ms at 100,000 incidents). PostgreSQL plans well.
    """

    inherit_cache = True
    #: The wrapped column is part of the statement's cache key (each column compiles differently).
    _traverse_internals = [("column", InternalTraversal.dp_clauseelement)]

    def __init__(self, column: Any) -> None:
        self.column = column
        self.type = column.type


@compiles(NoIndex)
def _no_index_default(element: NoIndex, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.column, **kw))


@compiles(NoIndex, "sqlite")
def _no_index_sqlite(element: NoIndex, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.column, **kw))
