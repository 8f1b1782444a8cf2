"""The complete walk: every CI within `depth` steps of its origins, each visited once, at its shortest
distance, with the CI it was reached from, in the database (SQLite and PostgreSQL alike).

A recursive CTE cannot do this: its UNION drops repeated rows, not repeated CIs, so a CI reached by ways
of several lengths is walked again at each length (from the benchmark's core switch, 711,000 rows for
95,000 CIs). What a failure impacts must not stop at the nearest CIs either: a core switch's outage
impacts every service, and they lie 6-10 steps up. This walk is breadth first, one set-based statement
per step, into a temporary table keyed by CI: a step inserts the CIs one edge away from the step before
that are not in the table yet, so each CI is inserted once, a cycle ends where it closes, and there are
at most `depth` steps. Each CI keeps the smallest of the CIs it was reached from at its distance (its
`parent`), so paths are stable. Nothing of the graph is loaded into Python. It costs what the CIs reached
cost: from the core switch (95,000 CIs) 0.6-1 s on this machine kind, from a host a few tens of
milliseconds (docs/benchmarks.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    Uuid,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.schema import CreateIndex, CreateTable

from vigil.cmdb.models import CIRelationship
from vigil.cmdb.schemas import ImpactDirection

#: Per connection, never migrated: a temporary table lives as long as the database connection it is on.
REACH = Table(
    "cmdb_reach",
    MetaData(),
    Column("node", Uuid, primary_key=True),
    Column("depth", Integer, nullable=False),
    Column("parent", Uuid, nullable=True),
    prefixes=["TEMPORARY"],
)
_BY_DEPTH = Index("ix_cmdb_reach_depth", REACH.c.depth)
_REL = CIRelationship.__table__


def walk(
    session: Session | Connection, origins: list[uuid.UUID], direction: ImpactDirection, depth: int
) -> Table:
    """Fill the connection's `cmdb_reach` table with `origins` (depth 0) and every CI within `depth` steps
    of them, each once, with its shortest distance and the CI it was reached from. Returns the table, to be read in the same transaction
    (the next walk on the connection empties it)."""
    conn = session.connection() if isinstance(session, Session) else session
    conn.execute(CreateTable(REACH, if_not_exists=True))
    conn.execute(CreateIndex(_BY_DEPTH, if_not_exists=True))
    # PostgreSQL never vacuums a temporary table: emptied by DELETE, a table that once held a core
    # switch's 95,000 CIs slowed every later walk on the connection tenfold. TRUNCATE gives its storage
    # back; SQLite's DELETE without a WHERE does the same.
    if conn.dialect.name == "postgresql":
        conn.execute(text("TRUNCATE cmdb_reach"))
    else:
        conn.execute(delete(REACH))
    conn.execute(insert(REACH), [{"node": o, "depth": 0, "parent": None} for o in sorted(set(origins))])
    frm, to = _edge(direction)
    seen = REACH.alias("seen")
    postgres = conn.dialect.name == "postgresql"
    for step in range(1, depth + 1):
        reached = (
            select(to, literal(step, Integer), frm if postgres else func.min(frm))
            .join(REACH, REACH.c.node == frm)
            .where(REACH.c.depth == step - 1, ~exists().where(seen.c.node == to))
        )
        # Each CI once, from the smallest CI of the step before: PostgreSQL has no min() of a uuid, so
        # there it is the first of each CI's rows in that order (DISTINCT ON, measured as fast).
        nearer = reached.ext(distinct_on(to)).order_by(to, frm) if postgres else reached.group_by(to)
        if not conn.execute(insert(REACH).from_select(["node", "depth", "parent"], nearer)).rowcount:
            break
    return REACH


def edge_kinds(session: Session, nodes: list[uuid.UUID], direction: ImpactDirection) -> dict[uuid.UUID, str]:
    """The kind of the edge each of `nodes` was reached by in the last walk (in `direction`) from its
    parent (the smallest, when two relationships join the same CIs); read for those CIs only."""
    frm, to = _edge(direction)
    kinds: dict[uuid.UUID, str] = {}
    for lo in range(0, len(nodes), 500):
        rows = session.execute(
            select(REACH.c.node, func.min(_REL.c.kind))
            .join(_REL, (frm == REACH.c.parent) & (to == REACH.c.node))
            .where(REACH.c.node.in_(nodes[lo : lo + 500]))
            .group_by(REACH.c.node)
        )
        kinds.update({node: str(kind) for node, kind in rows})
    return kinds


def _edge(direction: ImpactDirection) -> tuple[Any, Any]:
    """(from, to) columns of an impact edge walked in `direction`."""
    if direction is ImpactDirection.UPSTREAM:
        return _REL.c.impact_from_id, _REL.c.impact_to_id
    return _REL.c.impact_to_id, _REL.c.impact_from_id
