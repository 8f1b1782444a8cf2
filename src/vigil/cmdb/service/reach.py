"""The complete walk: every CI within `depth` steps of its origins, each visited once, at its shortest
distance, in the database (SQLite and PostgreSQL alike).

`impact.py`'s recursive CTE answers "the nearest CIs" fast, but a CTE's UNION drops repeated rows, not
repeated CIs: a CI reached by ways of several lengths is walked again at each length, so it is read only
to a bounded number of rows, and from a CI most of the estate depends on (a core switch) it stops long
before the services at the top. What an incident impacts must not stop there: a core switch outage
impacts every service. This walk is breadth first, one set-based statement per step, into a temporary
table keyed by CI: a step inserts the CIs one edge away from the step before that are not in the table
yet, so each CI is inserted once, a cycle ends where it closes, and there are at most `depth` steps.
Nothing of the graph is loaded into Python. It costs what the CIs reached cost: from the benchmark's core
switch (95,000 CIs) about a second on SQLite (see docs/benchmarks.md), a few milliseconds from a host.
"""

from __future__ import annotations

import uuid

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    Uuid,
    delete,
    exists,
    insert,
    literal,
    select,
    text,
)
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
    prefixes=["TEMPORARY"],
)
_BY_DEPTH = Index("ix_cmdb_reach_depth", REACH.c.depth)
_REL = CIRelationship.__table__


def walk(session: Session, origins: list[uuid.UUID], direction: ImpactDirection, depth: int) -> Table:
    """Fill the connection's `cmdb_reach` table with `origins` (depth 0) and every CI within `depth` steps
    of them, each once, with its shortest distance. Returns the table, to be read in the same transaction
    (the next walk on the connection empties it)."""
    conn = session.connection()
    conn.execute(CreateTable(REACH, if_not_exists=True))
    conn.execute(CreateIndex(_BY_DEPTH, if_not_exists=True))
    # PostgreSQL never vacuums a temporary table: emptied by DELETE, a table that once held a core
    # switch's 95,000 CIs slowed every later walk on the connection tenfold. TRUNCATE gives its storage
    # back; SQLite's DELETE without a WHERE does the same.
    if conn.dialect.name == "postgresql":
        conn.execute(text("TRUNCATE cmdb_reach"))
    else:
        conn.execute(delete(REACH))
    conn.execute(insert(REACH), [{"node": o, "depth": 0} for o in sorted(set(origins))])
    frm, to = (
        (_REL.c.impact_from_id, _REL.c.impact_to_id)
        if direction is ImpactDirection.UPSTREAM
        else (_REL.c.impact_to_id, _REL.c.impact_from_id)
    )
    seen = REACH.alias("seen")
    for step in range(1, depth + 1):
        nearer = (
            select(to, literal(step, Integer))
            .join(REACH, REACH.c.node == frm)
            .where(REACH.c.depth == step - 1, ~exists().where(seen.c.node == to))
            .group_by(to)
        )
        if not conn.execute(insert(REACH).from_select(["node", "depth"], nearer)).rowcount:
            break
    return REACH
