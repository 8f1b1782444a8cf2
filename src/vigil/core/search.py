"""Free-text search through a real index on both databases, behind one interface every domain reuses.

A domain declares a `FullText` over some text columns of one table; its migration installs the index
(`install`/`uninstall`), and its queries filter with `matches(spec, query)`:

- PostgreSQL: a GIN index over `to_tsvector('simple', ...)` of the columns; words match by prefix
  (`timeout` finds "timeouts"), every word must occur.
- SQLite: an FTS5 table kept in step by triggers, joined by rowid, with the same word-prefix semantics.

Only words (letters and digits) reach the engines' query languages, so no input can break their syntax.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, bindparam, false, func, literal_column, select, table, text
from sqlalchemy.orm import Session

_WORD = re.compile(r"\w+", re.UNICODE)
#: At most this many words are searched for (a longer query adds nothing but cost).
MAX_WORDS = 8


@dataclass(frozen=True)
class FullText:
    """The searchable text columns of one table."""

    table: str
    columns: tuple[str, ...]
    #: The column lists are usually sorted by (newest first): how dense a word is is judged there.
    recent_column: str = "created_at"

    @property
    def fts_table(self) -> str:
        return f"{self.table}_fts"

    @property
    def pg_index(self) -> str:
        return f"ix_{self.table}_search"

    def pg_document(self) -> str:
        parts = " || ' ' || ".join(f"coalesce({self.table}.{c}, '')" for c in self.columns)
        return f"to_tsvector('simple', {parts})"


def words(query: str) -> list[str]:
    """The words of a query, lower-cased, at most MAX_WORDS."""
    return [w.lower() for w in _WORD.findall(query)][:MAX_WORDS]


#: On PostgreSQL a query matching at most this many rows is answered from their ids (see `matches`).
PROBE = 1000
#: A word found in at least DENSE of the RECENT newest rows is common: no probe is needed.
RECENT, DENSE = 200, 10


def matches(session: Session, spec: FullText, query: str, id_column: Any) -> ColumnElement[bool]:
    """The SQL condition "this row contains every word of `query` (as a word prefix)".

    PostgreSQL cannot estimate how many rows a word matches, so for a rare word it would walk the newest
    rows one by one, evaluating the text of every row (seconds at a million rows). So Vigil looks first:
    a word dense among the newest rows is common, and the plain text condition is the fast plan (the
    newest rows match quickly). Otherwise a probe through the GIN index collects the matching ids; when
    there are at most PROBE, the condition is those ids (a few index lookups and a small sort).
    """
    found = words(query)
    if not found:
        return false()
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in found)
        condition = text(f"{spec.pg_document()} @@ to_tsquery('simple', :_q)").bindparams(
            bindparam("_q", tsquery)
        )
        ids = _probe(session, spec, condition)
        return id_column.in_(ids) if ids is not None else condition  # type: ignore[return-value]
    fts = " ".join(f'"{w}"*' for w in found)
    return literal_column(f"{spec.table}.rowid").in_(
        text(f"SELECT rowid FROM {spec.fts_table} WHERE {spec.fts_table} MATCH :_q").bindparams(
            bindparam("_q", fts)
        )
    )


def _probe(session: Session, spec: FullText, condition: Any) -> list[Any] | None:
    """The ids of the matching rows when there are few of them (through the index), else None."""
    cols = ", ".join(spec.columns)
    recent = select(func.count()).select_from(
        text(
            f"(SELECT {cols} FROM {spec.table} ORDER BY {spec.recent_column} DESC LIMIT {RECENT}) AS {spec.table}"
        )
    )
    if (session.scalar(recent.where(condition)) or 0) >= DENSE:
        return None
    session.execute(text("SET LOCAL enable_seqscan = off"))  # only the GIN index answers a probe
    try:
        stmt: Any = select(literal_column(f"{spec.table}.id")).select_from(table(spec.table)).where(condition)
        ids = list(session.scalars(stmt.limit(PROBE + 1)))
    finally:
        session.execute(text("SET LOCAL enable_seqscan = on"))
    return ids if len(ids) <= PROBE else None


def install(op: Any, spec: FullText) -> None:
    """Create the index (PostgreSQL) or the FTS5 table, its triggers and its content (SQLite)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {spec.pg_index} ON {spec.table} USING gin ({spec.pg_document()})"
        )
        return
    cols = ", ".join(spec.columns)
    new = ", ".join(f"new.{c}" for c in spec.columns)
    old = ", ".join(f"old.{c}" for c in spec.columns)
    t, f = spec.table, spec.fts_table
    op.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {f} USING fts5({cols}, content='{t}', tokenize='unicode61')"
    )
    op.execute(f"CREATE TRIGGER IF NOT EXISTS {f}_ai AFTER INSERT ON {t} BEGIN "
               f"INSERT INTO {f}(rowid, {cols}) VALUES (new.rowid, {new}); END")  # fmt: skip
    op.execute(f"CREATE TRIGGER IF NOT EXISTS {f}_ad AFTER DELETE ON {t} BEGIN "
               f"INSERT INTO {f}({f}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); END")  # fmt: skip
    op.execute(f"CREATE TRIGGER IF NOT EXISTS {f}_au AFTER UPDATE OF {cols} ON {t} BEGIN "
               f"INSERT INTO {f}({f}, rowid, {cols}) VALUES ('delete', old.rowid, {old}); "
               f"INSERT INTO {f}(rowid, {cols}) VALUES (new.rowid, {new}); END")  # fmt: skip
    op.execute(f"INSERT INTO {f}({f}) VALUES ('rebuild')")


def uninstall(op: Any, spec: FullText) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {spec.pg_index}")
        return
    for suffix in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS {spec.fts_table}_{suffix}")
    op.execute(f"DROP TABLE IF EXISTS {spec.fts_table}")


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's filter: autogenerate leaves alone the tables and indexes `install` creates outside the
    models (FTS5 tables and their shadow tables, GIN expression indexes)."""
    return not (name and ("_fts" in name or (type_ == "index" and name.endswith("_search"))))
