"""Append-only, hash-chained audit log: every mutation writes one record in the same transaction.

Each record stores its position `seq`, the previous record's hash and its own:
sha256(prev_hash + canonical JSON of its fields). Changing, removing or reordering a record breaks the
chain at that point, which `verify()` reports.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ColumnElement, Index, Integer, String, Uuid, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.core import clock
from vigil.core.actor import Actor
from vigil.core.db import Base

#: A change set maps a field name to its [old, new] values, both JSON-serialisable.
Changes = dict[str, list[Any]]


class AuditRecord(Base):
    __tablename__ = "audit_record"
    __table_args__ = (Index("ix_audit_record_object", "object_type", "object_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[Any] = mapped_column(Uuid, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: Position in the hash chain (contiguous from 1), the previous record's hash, and this record's.
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row: the last link of the audit hash chain. Updating it serialises audit writers."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


GENESIS = "0" * 64


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The chain hash of one record. Changing this breaks every stored chain: it is frozen."""
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def hashed_fields(entry: AuditRecord) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "occurred_at": entry.occurred_at.isoformat(),
        "actor_id": str(entry.actor_id) if entry.actor_id else None,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "changes": entry.changes,
        "channel": entry.channel,
        "request_id": entry.request_id,
    }


def _next_link(session: Session) -> tuple[int, str]:
    """Take the next chain position; the head row stays locked until the caller's transaction ends."""
    stmt = (
        update(AuditChainHead)
        .where(AuditChainHead.id == 1)
        .values(last_seq=AuditChainHead.last_seq + 1)
        .returning(AuditChainHead.last_seq, AuditChainHead.last_hash)
    )
    seq, prev = session.execute(stmt).one()
    return int(seq), str(prev)


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: object,
    changes: Changes | None = None,
) -> AuditRecord:
    """Append one audit record; flushed with the caller's transaction, never committed here."""
    seq, prev_hash = _next_link(session)
    entry = AuditRecord(
        occurred_at=clock.now().astimezone(UTC),  # hashed as text: always the UTC form
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        changes=json.loads(json.dumps(changes or {}, default=str)),
        channel=str(actor.channel),
        request_id=actor.request_id,
        seq=seq,
        prev_hash=prev_hash,
    )
    entry.hash = record_hash(prev_hash, hashed_fields(entry))
    session.add(entry)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=entry.hash))
    session.flush()
    return entry


def for_object(session: Session, object_type: str, object_id: object) -> list[AuditRecord]:
    stmt = (
        select(AuditRecord)
        .where(AuditRecord.object_type == object_type, AuditRecord.object_id == str(object_id))
        .order_by(AuditRecord.id)
    )
    return list(session.scalars(stmt))


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """Field-by-field [old, new] for every key whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


@dataclass(frozen=True)
class ChainProblem:
    """The first place the audit chain breaks: which record, and how."""

    kind: str  # "changed", "removed" or "reordered"
    seq: int
    record_id: int | None
    detail: str


@dataclass
class _Walk:
    """How far a walk along the chain has got."""

    expected_seq: int = 1
    prev_hash: str = GENESIS
    last_id: int | None = None
    checked: int = 0


def _check(entry: AuditRecord, at: _Walk) -> ChainProblem | None:
    if entry.seq != at.expected_seq:
        return ChainProblem(
            "removed",
            at.expected_seq,
            None,
            f"records {at.expected_seq}..{entry.seq - 1} are missing before record id {entry.id}",
        )
    if record_hash(entry.prev_hash, hashed_fields(entry)) != entry.hash:
        return ChainProblem(
            "changed", entry.seq, entry.id, f"record id {entry.id} (seq {entry.seq}) was altered"
        )
    if entry.prev_hash != at.prev_hash:
        return ChainProblem(
            "reordered",
            entry.seq,
            entry.id,
            f"record id {entry.id} (seq {entry.seq}) does not follow its predecessor: moved, replaced or inserted",
        )
    return None


def _walk(session: Session, at: _Walk, *where: ColumnElement[bool]) -> ChainProblem | None:
    # populate_existing: check what the database holds, not objects this session loaded earlier.
    stmt = (
        select(AuditRecord)
        .where(*where)
        .order_by(AuditRecord.seq)
        .execution_options(yield_per=1000, populate_existing=True)
    )
    for entry in session.scalars(stmt):
        at.checked += 1
        problem = _check(entry, at)
        if problem is not None:
            return problem
        at.prev_hash, at.expected_seq, at.last_id = entry.hash, at.expected_seq + 1, entry.id
    return None


def _check_head(session: Session, at: _Walk, last_seq: int, last_hash: str) -> ChainProblem | None:
    walked = at.expected_seq - 1
    if last_seq < walked:
        beyond = session.scalar(select(AuditRecord.id).where(AuditRecord.seq == last_seq + 1))
        return ChainProblem(
            "reordered",
            last_seq + 1,
            beyond,
            f"record id {beyond} (seq {last_seq + 1}) lies beyond the chain head (seq {last_seq}): inserted",
        )
    if last_seq > walked:
        return ChainProblem(
            "removed", walked + 1, None, f"the chain head records {last_seq} entries; {walked} remain"
        )
    if last_hash != at.prev_hash:
        return ChainProblem(
            "changed",
            walked,
            at.last_id,
            f"record id {at.last_id} (seq {walked}) does not match the chain head: altered or replaced",
        )
    return None


def verify(session: Session) -> tuple[int, ChainProblem | None]:
    """Walk the chain in order; return how many records were checked and the first problem found.

    The head is read after the walk. Under READ COMMITTED (PostgreSQL) each statement sees the latest
    commits, so records appended while the walk ran are walked too before comparing with the head;
    otherwise a busy system would look as if its newest records had been removed.
    """
    at = _Walk()
    problem = _walk(session, at)
    if problem is not None:
        return at.checked, problem
    head = session.execute(
        select(AuditChainHead.last_seq, AuditChainHead.last_hash).where(AuditChainHead.id == 1)
    ).one_or_none()
    if head is None:
        if at.checked == 0:
            return 0, None
        return at.checked, ChainProblem("removed", at.expected_seq, None, "the chain head row is missing")
    last_seq, last_hash = int(head.last_seq), str(head.last_hash)
    if last_seq > at.expected_seq - 1:
        problem = _walk(session, at, AuditRecord.seq >= at.expected_seq, AuditRecord.seq <= last_seq)
        if problem is not None:
            return at.checked, problem
    return at.checked, _check_head(session, at, last_seq, last_hash)
