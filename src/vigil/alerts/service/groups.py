"""Dedup: a batch of alerts into groups and alert rows in a few set-wise statements.

Concurrent deliveries of one group agree through the database, never a Python check-then-insert: the
open group is claimed by `INSERT ... ON CONFLICT DO NOTHING` on the unique (integration, open_key),
and an alert is one row per (group, fingerprint) bumped by `INSERT ... ON CONFLICT DO UPDATE`. Rows
are written in key order, so two batches never lock the same rows in opposite orders.
"""

from __future__ import annotations

import functools
import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, column, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vigil.alerts.mapping import Mapped
from vigil.alerts.models import Alert, AlertGroup, AlertStatus
from vigil.alerts.payloads import Incoming
from vigil.incidents.models import Incident
from vigil.incidents.priority import Priority


def key_of(group_key: str) -> str:
    return hashlib.sha256(group_key.encode()).hexdigest()


@dataclass
class Item:
    """One alert of the batch, its mapping, and where it landed."""

    alert: Incoming
    mapped: Mapped
    group_id: uuid.UUID | None = None
    first_in_group: bool = False


@dataclass
class Touched:
    """A group the batch wrote to."""

    id: uuid.UUID
    incident_id: uuid.UUID | None
    created: bool
    incident_number: str | None = None
    items: list[Item] = field(default_factory=list)


def _dialect(session: Session) -> str:
    return "postgresql" if session.get_bind().dialect.name == "postgresql" else "sqlite"


@functools.cache
def _claim_statement(dialect: str) -> Any:
    """PostgreSQL's or SQLite's INSERT (both take ON CONFLICT); typed Any as the two have no common type."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table: Any = AlertGroup.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["integration_id", "open_key"])


def _best(priorities: list[Priority]) -> Priority:
    return min(priorities, key=lambda p: int(p.value[1]))


#: The hot statements of intake, built once (a statement built per call costs more than it runs for).
#: A group's incident comes with it (id and number): the answer names it without another query.
_HELD = (
    select(Alert.fingerprint, Alert.group_id, AlertGroup.incident_id, Incident.number)
    .join(AlertGroup, AlertGroup.id == Alert.group_id)
    .outerjoin(Incident, Incident.id == AlertGroup.incident_id)
    .where(
        Alert.integration_id == bindparam("integration_id"),
        Alert.fingerprint.in_(bindparam("fingerprints", expanding=True)),
        AlertGroup.open_key.is_not(None),
    )
)
_OPEN_BY_KEY = (
    select(AlertGroup.open_key, AlertGroup.id, AlertGroup.incident_id, Incident.number)
    .outerjoin(Incident, Incident.id == AlertGroup.incident_id)
    .where(
        AlertGroup.integration_id == bindparam("integration_id"),
        AlertGroup.open_key.in_(bindparam("keys", expanding=True)),
    )
)

#: A group's incident as a lookup found it: (id, number), or (None, None).
IncidentRef = tuple[uuid.UUID | None, str | None]


def open_groups_by_fingerprint(
    session: Session, integration_id: uuid.UUID, fingerprints: list[str]
) -> dict[str, tuple[uuid.UUID, IncidentRef]]:
    """The open group already holding each fingerprint (Alertmanager may regroup an alert), with the
    group's incident."""
    rows = session.execute(_HELD, {"integration_id": integration_id, "fingerprints": fingerprints})
    return {fp: (gid, (incident_id, number)) for fp, gid, incident_id, number in rows}


def claim_groups(
    session: Session, integration_id: uuid.UUID, items: list[Item], now: datetime
) -> dict[uuid.UUID, Touched]:
    """Put every item in a group: the open one holding its fingerprint, else its group key's open group
    (created here when there is none). Returns the groups touched, by id."""
    held = open_groups_by_fingerprint(session, integration_id, sorted({i.alert.fingerprint for i in items}))
    incidents: dict[uuid.UUID, IncidentRef] = {}
    by_key: dict[str, list[Item]] = {}
    for item in items:
        if item.alert.fingerprint in held:
            item.group_id, incidents[item.group_id] = held[item.alert.fingerprint]
        else:
            by_key.setdefault(key_of(item.alert.group_key), []).append(item)
    created: set[uuid.UUID] = set()
    if by_key:
        rows = [_group_row(integration_id, key, members, now) for key, members in sorted(by_key.items())]
        created = {row["id"] for row in rows}
        # Parameters given apart (one multi-row INSERT all the same): the statement stays cached.
        session.connection().execute(_claim_statement(_dialect(session)), rows)
        found = session.execute(_OPEN_BY_KEY, {"integration_id": integration_id, "keys": sorted(by_key)})
        for key, gid, incident_id, number in found:
            incidents[gid] = (incident_id, number)
            for item in by_key.get(key or "", []):
                item.group_id = gid
    return _touched(items, created, incidents)


def _group_row(integration_id: uuid.UUID, key: str, members: list[Item], now: datetime) -> dict[str, Any]:
    firing = [m for m in members if m.alert.status == AlertStatus.FIRING] or members
    return {
        "id": uuid.uuid4(),
        "integration_id": integration_id,
        "group_key": key,
        "label": members[0].alert.group_key[:500],
        "open_key": key,
        "status": AlertStatus.FIRING.value,
        "priority": _best([m.mapped.priority for m in firing]).value,
        "title": firing[0].mapped.title,
        "created_at": now,
    }


def _touched(
    items: list[Item], created: set[uuid.UUID], incidents: dict[uuid.UUID, IncidentRef]
) -> dict[uuid.UUID, Touched]:
    touched: dict[uuid.UUID, Touched] = {}
    for item in sorted(items, key=lambda i: str(i.group_id)):
        if item.group_id is None:  # its group closed between the two statements: a rare race
            raise RuntimeError(f"alert {item.alert.fingerprint}: its group could not be claimed; retry")
        if item.group_id not in touched:
            incident_id, number = incidents.get(item.group_id, (None, None))
            touched[item.group_id] = Touched(
                id=item.group_id, incident_id=incident_id, created=item.group_id in created,
                incident_number=number,
            )  # fmt: skip
        touched[item.group_id].items.append(item)
    return touched


def upsert_alerts(session: Session, integration_id: uuid.UUID, items: list[Item], now: datetime) -> None:
    """Write every alert: a new row per (group, fingerprint), or a repeat counted on the existing one.
    Marks the items that are the first of their fingerprint in the group."""
    rows = [
        {
            "id": uuid.uuid4(),
            "group_id": i.group_id,
            "integration_id": integration_id,
            "fingerprint": i.alert.fingerprint,
            "status": i.alert.status,
            "labels": i.alert.labels,
            "annotations": i.alert.annotations,
            "starts_at": i.alert.starts_at,
            "ends_at": i.alert.ends_at,
            "generator_url": i.alert.generator_url,
            "priority": i.mapped.priority.value,
            "count": 1,
            "first_seen_at": now,
            "last_seen_at": now,
        }
        for i in sorted(items, key=lambda i: (str(i.group_id), i.alert.fingerprint))
    ]
    dialect = _dialect(session)
    stmt = _upsert_statement(dialect, tuple(rows[0]))
    if dialect == "postgresql":
        found = session.connection().execute(stmt, {"rows": [_json_row(r) for r in rows]})
    else:
        found = session.connection().execute(stmt, rows)
    first = {(gid, fp) for gid, fp, count in found if count == 1}
    for item in items:
        item.first_in_group = (item.group_id, item.alert.fingerprint) in first


@functools.cache
def _upsert_statement(dialect: str, names: tuple[str, ...]) -> Any:
    """Insert the alerts or count the repeat on the existing row; returns (group, fingerprint, count).

    On PostgreSQL the batch is one JSON parameter (`INSERT ... SELECT * FROM jsonb_to_recordset(:rows)`),
    so the statement is the same short text whatever the batch's size: the driver converts it once and
    keeps it, instead of parsing a multi-row VALUES of hundreds of parameters on every delivery."""
    table: Any = Alert.__table__
    stmt: Any
    if dialect == "postgresql":
        columns = [table.c[name] for name in names]
        source = (
            func.jsonb_to_recordset(bindparam("rows", type_=postgresql.JSONB))
            .table_valued(*(column(c.name, c.type) for c in columns))
            .render_derived(name="r", with_types=True)
        )
        stmt = postgresql.insert(table).from_select(list(names), select(*source.c))
    else:
        stmt = sqlite.insert(table)
    excluded = stmt.excluded
    return stmt.on_conflict_do_update(
        index_elements=["group_id", "fingerprint"],
        set_={
            "status": excluded.status,
            "labels": excluded.labels,
            "annotations": excluded.annotations,
            "ends_at": excluded.ends_at,
            "generator_url": excluded.generator_url,
            "last_seen_at": excluded.last_seen_at,
            "count": table.c.count + 1,
        },
    ).returning(table.c.group_id, table.c.fingerprint, table.c.count)


_UUIDS = ("id", "group_id", "integration_id")
_TIMES = ("starts_at", "ends_at", "first_seen_at", "last_seen_at")


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in _UUIDS:
        out[key] = str(row[key])
    for key in _TIMES:
        out[key] = row[key].isoformat() if row[key] is not None else None
    return out


def link_incident(session: Session, group_id: uuid.UUID, incident_id: uuid.UUID) -> None:
    session.execute(update(AlertGroup).where(AlertGroup.id == group_id).values(incident_id=incident_id))


def recovered(
    session: Session, group_ids: list[uuid.UUID], now: datetime
) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """Close the open groups among `group_ids` none of whose alerts still fire; returns (group, incident)
    of each closed. The groups are locked first (PostgreSQL), so two deliveries resolving the last two
    alerts of a group cannot each see the other's alert still firing."""
    if not group_ids:
        return []
    ids = sorted(group_ids)
    lock = (
        select(AlertGroup.id)
        .where(AlertGroup.id.in_(ids), AlertGroup.open_key.is_not(None))
        .order_by(AlertGroup.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        lock = lock.with_for_update()
    candidates = list(session.scalars(lock))
    if not candidates:
        return []
    firing = set(
        session.scalars(
            select(Alert.group_id)
            .where(Alert.group_id.in_(candidates), Alert.status == AlertStatus.FIRING)
            .distinct()
        )
    )
    closing = [gid for gid in candidates if gid not in firing]
    if not closing:
        return []
    rows = session.execute(
        update(AlertGroup)
        .where(AlertGroup.id.in_(closing), AlertGroup.open_key.is_not(None))
        .values(open_key=None, status=AlertStatus.RESOLVED.value, resolved_at=now)
        .returning(AlertGroup.id, AlertGroup.incident_id)
    )
    return sorted((gid, inc) for gid, inc in rows)
