"""Append-only, HMAC-chained audit log: every mutation writes one record in the same transaction.

Writers only insert: no row is updated by every write, so writers never wait on each other. Committed
records are then sealed into the chain, in batches, by one sealer at a time (an advisory lock on
PostgreSQL; SQLite serialises writers anyway): right after the writing unit of work commits, and by
`vigil worker` on every poll. Sealing gives each record its position `seq`, the previous record's hash,
the id of the keyring key that MACs it, and its own hash: HMAC-SHA256(key, prev_hash + canonical JSON
of its fields). The key lives outside
the database (`core.auditkey`), so someone who can only write the database cannot forge a valid chain.
Changing, removing or reordering a record breaks the chain at that point, which `verify()` reports.
Records from before keying (plain SHA-256, no key id) are verified and re-MACed by `adopt_legacy()`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    Index,
    Integer,
    String,
    Uuid,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from vigil.core import auditkey, clock
from vigil.core.actor import Actor
from vigil.core.db import Base

log = logging.getLogger("vigil.audit")

#: A change set maps a field name to its [old, new] values, both JSON-serialisable.
Changes = dict[str, list[Any]]


class AuditRecord(Base):
    __tablename__ = "audit_record"
    __table_args__ = (
        Index("ix_audit_record_object", "object_type", "object_id", "id"),
        # The sealer's queue: only unsealed rows are in this index, so finding them never scans the log.
        Index(
            "ix_audit_record_unsealed",
            "id",
            postgresql_where=text("seq IS NULL"),
            sqlite_where=text("seq IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    occurred_at: Mapped[datetime]
    actor_id: Mapped[Any] = mapped_column(Uuid, nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str] = mapped_column(String(40))
    #: Fits every identifier written to it; longer ones are stored as "sha256:<hex>" (see `_object_key`).
    object_id: Mapped[str] = mapped_column(String(255))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    channel: Mapped[str] = mapped_column(String(16))
    request_id: Mapped[str | None] = mapped_column(String(64))
    #: Position in the hash chain (contiguous from 1), the previous record's hash, and this record's;
    #: all None until the record is sealed (seconds after its transaction commits).
    seq: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))
    #: Which key of the audit keyring MACed this record (None only for records from before keying).
    key_id: Mapped[str | None] = mapped_column(String(16))
    #: The writer's MAC over the record's fields (before it has a position): the sealer chains only
    #: records that carry a valid one, so rows inserted behind Vigil's back are never sealed.
    entry_mac: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """One row: the last sealed link of the audit hash chain. Only the sealer updates it."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


GENESIS = "0" * 64
#: Longer object ids are stored as "sha256:<hex>": a digest still finds every record of the object.
OBJECT_ID_MAX = 255


def _canonical(prev_hash: str, fields: dict[str, Any]) -> bytes:
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return (prev_hash + text).encode()


def record_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    """The unkeyed chain hash of records from before keying (revision 0002). Frozen: only adoption uses it."""
    return hashlib.sha256(_canonical(prev_hash, fields)).hexdigest()


def record_mac(secret: bytes, prev_hash: str, fields: dict[str, Any]) -> str:
    """The keyed chain hash of one record. Changing this breaks every stored chain: it is frozen."""
    return hmac.new(secret, _canonical(prev_hash, fields), hashlib.sha256).hexdigest()


def object_key(object_id: object) -> str:
    """The stored form of an object id: as is when it fits the column, else its SHA-256."""
    text = str(object_id)
    if len(text) <= OBJECT_ID_MAX:
        return text
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


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


def record(
    session: Session,
    actor: Actor,
    *,
    action: str,
    object_type: str,
    object_id: object,
    changes: Changes | None = None,
    at: datetime | None = None,
) -> AuditRecord:
    """Append one audit record to the caller's transaction (never committed here); it is sealed into the
    chain after that transaction commits. `at`: when it happened, if not now (a create's own time)."""
    entry = AuditRecord(
        occurred_at=(at or clock.now()).astimezone(UTC),  # hashed as text: always the UTC form
        actor_id=actor.user_id,
        actor_name=actor.display_name,
        action=action,
        object_type=object_type,
        object_id=object_key(object_id),
        changes=json.loads(json.dumps(changes or {}, default=str)),
        channel=str(actor.channel),
        request_id=actor.request_id,
    )
    ring = auditkey.keyring()
    entry.key_id = ring.current
    entry.entry_mac = record_mac(ring.secret, ENTRY, hashed_fields(entry))
    session.add(entry)
    session.info.setdefault(AFTER_COMMIT, set()).update(after_write)
    return entry


#: `Session.info` key of the callables `Database.unit_of_work` runs after a successful commit.
AFTER_COMMIT = "after_commit"
#: What an entry MAC is chained to: nothing yet (it is computed before the record has a position).
ENTRY = "entry"
#: Run after a transaction that wrote audit records commits; `core.auditseal` adds the sealer here.
after_write: list[Callable[[Any], None]] = []


def for_object(session: Session, object_type: str, object_id: object) -> list[AuditRecord]:
    stmt = (
        select(AuditRecord)
        .where(AuditRecord.object_type == object_type, AuditRecord.object_id == object_key(object_id))
        .order_by(AuditRecord.id)
    )
    return list(session.scalars(stmt))


def diff(before: dict[str, Any], after: dict[str, Any]) -> Changes:
    """Field-by-field [old, new] for every key whose value changed."""
    return {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v}


@dataclass(frozen=True)
class ChainProblem:
    """The first place the audit chain breaks: which record, and how."""

    #: "changed", "removed", "reordered", "unkeyed", "unknown_key", or (against an anchor) "truncated"
    kind: str
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
    #: Accept unkeyed (pre-keying) records, but only before the first keyed one: adoption's walk.
    legacy: bool = False
    keyed_seen: bool = False


def _expected_hash(entry: AuditRecord, at: _Walk) -> str | ChainProblem:
    """What the record's hash must be, or why it cannot be checked at all."""
    where = f"record id {entry.id} (seq {at.expected_seq})"
    if entry.key_id is None:
        if at.legacy and not at.keyed_seen:
            return record_hash(entry.prev_hash or "", hashed_fields(entry))
        return ChainProblem(
            "unkeyed",
            at.expected_seq,
            entry.id,
            f"{where} has no key id: written before keying and not adopted yet (run `vigil db upgrade`),"
            " or forged with the public unkeyed hash",
        )
    at.keyed_seen = True
    secret = auditkey.secret_for(entry.key_id)
    if secret is None:
        return ChainProblem(
            "unknown_key",
            at.expected_seq,
            entry.id,
            f"{where} was MACed with key {entry.key_id!r}, which is not in the audit keyring"
            f" ({auditkey.keyring().source}): a lost or different key file, or a forged record",
        )
    return record_mac(secret, entry.prev_hash or "", hashed_fields(entry))


def _check(entry: AuditRecord, at: _Walk) -> ChainProblem | None:
    if entry.seq != at.expected_seq:
        return ChainProblem(
            "removed",
            at.expected_seq,
            None,
            f"records {at.expected_seq}..{int(entry.seq or 0) - 1} are missing before record id {entry.id}",
        )
    expected = _expected_hash(entry, at)
    if isinstance(expected, ChainProblem):
        return expected
    if not hmac.compare_digest(expected, entry.hash or ""):
        return ChainProblem(
            "changed", at.expected_seq, entry.id, f"record id {entry.id} (seq {at.expected_seq}) was altered"
        )
    if entry.prev_hash != at.prev_hash:
        return ChainProblem(
            "reordered",
            at.expected_seq,
            entry.id,
            f"record id {entry.id} (seq {at.expected_seq}) does not follow its predecessor: moved, replaced or inserted",
        )
    return None


def _walk(session: Session, at: _Walk, *where: ColumnElement[bool]) -> ChainProblem | None:
    # populate_existing: check what the database holds, not objects this session loaded earlier.
    stmt = (
        select(AuditRecord)
        .where(AuditRecord.seq.is_not(None), *where)
        .order_by(AuditRecord.seq)
        .execution_options(yield_per=1000, populate_existing=True)
    )
    for entry in session.scalars(stmt):
        at.checked += 1
        problem = _check(entry, at)
        if problem is not None:
            return problem
        at.prev_hash, at.expected_seq, at.last_id = entry.hash or "", at.expected_seq + 1, entry.id
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
    return _verify(session, _Walk())


def _verify(session: Session, at: _Walk) -> tuple[int, ChainProblem | None]:
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


@dataclass(frozen=True)
class Adoption:
    """What `adopt_legacy` did: how many records it re-MACed, or why it left the log untouched."""

    adopted: int
    problem: ChainProblem | None = None


def _has_unkeyed(session: Session) -> bool:
    return session.scalar(select(AuditRecord.id).where(AuditRecord.key_id.is_(None)).limit(1)) is not None


def adopt_legacy(session: Session, batch: int = 1000) -> Adoption:
    """Bring records from before keying under the current key, once their unkeyed chain verifies.

    Unkeyed records must all come before the first keyed one (only then were they written before
    keying); keyed records after them are checked with their own keys, then re-MACed too, because
    their links change. Nothing is rewritten when any check fails. Holds the chain head meanwhile.
    """
    if not _has_unkeyed(session):
        return Adoption(0)
    ring = auditkey.keyring()
    # Take the head's lock first (as writers do), then look again: another process may have adopted.
    session.execute(
        update(AuditChainHead).where(AuditChainHead.id == 1).values(last_seq=AuditChainHead.last_seq)
    )
    if not _has_unkeyed(session):
        return Adoption(0)
    _, problem = _verify(session, _Walk(legacy=True))
    if problem is not None:
        return Adoption(0, problem)
    prev, after, count = GENESIS, 0, 0
    while True:
        stmt = select(AuditRecord).where(AuditRecord.seq > after).order_by(AuditRecord.seq).limit(batch)
        entries = list(session.scalars(stmt.execution_options(populate_existing=True)))
        for entry in entries:
            entry.prev_hash, entry.key_id = prev, ring.current
            entry.hash = prev = record_mac(ring.secret, prev, hashed_fields(entry))
        session.flush()
        for entry in entries:
            session.expunge(entry)  # memory stays flat however long the log is
        count += len(entries)
        if len(entries) < batch:
            break
        after = entries[-1].seq or 0
    session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_hash=prev))
    session.flush()
    return Adoption(count)
