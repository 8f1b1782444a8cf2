"""Dedup: a batch of alerts into groups and alert rows in a few set-wise statements.

Concurrent deliveries of one group agree through the database, never a Python check-then-insert: the
open group is claimed by `INSERT ... ON CONFLICT DO NOTHING` on the unique (integration, open_key),
and an alert is one row per (group, fingerprint) bumped by `INSERT ... ON CONFLICT DO UPDATE`. Rows
are written in key order, so two batches never lock the same rows in opposite orders.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from vigil.alerts.mapping import Mapped
from vigil.alerts.models import Alert, AlertGroup, AlertStatus
from vigil.alerts.payloads import Incoming
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
    items: list[Item] = field(default_factory=list)


def _insert(session: Session, table: Any) -> Any:
    """PostgreSQL's or SQLite's INSERT (both take ON CONFLICT); typed Any as the two have no common type."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def _best(priorities: list[Priority]) -> Priority:
    return min(priorities, key=lambda p: int(p.value[1]))


def open_groups_by_fingerprint(
    session: Session, integration_id: uuid.UUID, fingerprints: list[str]
) -> dict[str, uuid.UUID]:
    """The open group already holding each fingerprint (Alertmanager may regroup an alert)."""
    rows = session.execute(
        select(Alert.fingerprint, Alert.group_id)
        .join(AlertGroup, AlertGroup.id == Alert.group_id)
        .where(
            Alert.integration_id == integration_id,
            Alert.fingerprint.in_(fingerprints),
            AlertGroup.open_key.is_not(None),
        )
    )
    return {fp: gid for fp, gid in rows}


def claim_groups(
    session: Session, integration_id: uuid.UUID, items: list[Item], now: datetime
) -> dict[uuid.UUID, Touched]:
    """Put every item in a group: the open one holding its fingerprint, else its group key's open group
    (created here when there is none). Returns the groups touched, by id."""
    held = open_groups_by_fingerprint(session, integration_id, sorted({i.alert.fingerprint for i in items}))
    by_key: dict[str, list[Item]] = {}
    for item in items:
        if item.alert.fingerprint in held:
            item.group_id = held[item.alert.fingerprint]
        else:
            by_key.setdefault(key_of(item.alert.group_key), []).append(item)
    created: set[uuid.UUID] = set()
    if by_key:
        rows = [_group_row(integration_id, key, members, now) for key, members in sorted(by_key.items())]
        created = {row["id"] for row in rows}
        stmt = _insert(session, AlertGroup.__table__)
        # Parameters given apart (one multi-row INSERT all the same): the statement stays cached.
        conflict = stmt.on_conflict_do_nothing(index_elements=["integration_id", "open_key"])
        session.connection().execute(conflict, rows)
        found = session.execute(
            select(AlertGroup.open_key, AlertGroup.id).where(
                AlertGroup.integration_id == integration_id, AlertGroup.open_key.in_(sorted(by_key))
            )
        )
        for key, gid in found:
            for item in by_key.get(key or "", []):
                item.group_id = gid
    return _touched(session, items, created)


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


def _touched(session: Session, items: list[Item], created: set[uuid.UUID]) -> dict[uuid.UUID, Touched]:
    ids = sorted({i.group_id for i in items if i.group_id is not None})
    incidents = dict(
        session.execute(select(AlertGroup.id, AlertGroup.incident_id).where(AlertGroup.id.in_(ids))).all()
    )
    touched = {gid: Touched(id=gid, incident_id=incidents.get(gid), created=gid in created) for gid in ids}
    for item in items:
        if item.group_id is None:  # its group closed between the two statements: a rare race
            raise RuntimeError(f"alert {item.alert.fingerprint}: its group could not be claimed; retry")
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
    table = Alert.__table__
    stmt = _insert(session, table)
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
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
    found = session.connection().execute(stmt, rows)
    first = {(gid, fp) for gid, fp, count in found if count == 1}
    for item in items:
        item.first_in_group = (item.group_id, item.alert.fingerprint) in first


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
