"""Sealing: committed audit records are chained (seq, prev_hash, keyed hash) by one sealer at a time.

Writers only insert (`core.audit.record`); this module gives their records a position in the chain, in
batches, under an advisory lock on PostgreSQL (SQLite serialises writers anyway): after the writing
transaction commits (library, CLI, tests), from a server's background thread, and on every worker poll.
Only records whose writer's entry MAC verifies are sealed, so nothing inserted behind Vigil's back is.
"""

from __future__ import annotations

import hmac
import logging
import threading
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vigil.core import auditkey
from vigil.core.audit import ENTRY, AuditChainHead, AuditRecord, after_write, hashed_fields, record_mac

log = logging.getLogger("vigil.audit")

#: An arbitrary, fixed advisory-lock key: at most one sealer at a time on PostgreSQL.
SEAL_LOCK = 0x5649_4749_4C41  # "VIGILA"
SEAL_BATCH = 500


def seal(session: Session, limit: int = SEAL_BATCH) -> int:
    """Chain up to `limit` committed, unsealed records, oldest first; returns how many were sealed.

    When another sealer holds the lock this returns 0 at once: that one seals them. Call it in a
    transaction of its own; the head row is updated once per batch, by this single sealer.
    """
    if session.get_bind().dialect.name == "postgresql":
        if not session.scalar(select(func.pg_try_advisory_xact_lock(SEAL_LOCK))):
            return 0
    head = session.scalars(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()).one()
    pending = list(
        session.scalars(
            select(AuditRecord).where(AuditRecord.seq.is_(None)).order_by(AuditRecord.id).limit(limit)
        )
    )
    if not pending:
        return 0
    sealed = 0
    ring = auditkey.keyring()
    seq, prev = int(head.last_seq), str(head.last_hash)
    for entry in pending:
        if not _genuine(entry):
            log.error("audit record id %s has no valid entry MAC: left unsealed (forged?)", entry.id)
            continue
        seq += 1
        entry.seq, entry.prev_hash, entry.key_id = seq, prev, ring.current
        entry.hash = prev = record_mac(ring.secret, prev, hashed_fields(entry))
        sealed += 1
    head.last_seq, head.last_hash = seq, prev
    session.flush()
    return sealed


def _genuine(entry: AuditRecord) -> bool:
    """Did Vigil write this pending record (its entry MAC verifies with the key it names)?"""
    secret = auditkey.secret_for(entry.key_id) if entry.key_id else None
    if secret is None or entry.entry_mac is None:
        return False
    return hmac.compare_digest(entry.entry_mac, record_mac(secret, ENTRY, hashed_fields(entry)))


def seal_soon(db: Any) -> None:
    """After a writer commits: seal what is pending in a short transaction of its own, unless another
    sealer is at it, or a background sealer serves this database (a server's: then the request does not
    wait for it). Never fails the request that wrote: the worker seals whatever is left."""
    if getattr(db, "background_sealer", None) is not None:
        return
    seal_pending(db)


def seal_pending(db: Any) -> None:
    """Seal everything pending (bounded), in transactions of their own; errors are logged, not raised."""
    try:
        for _ in range(100):  # bounded: a backlog beyond this is the worker's
            with db.unit_of_work() as session:
                if seal(session) < SEAL_BATCH:
                    return
    except Exception as exc:  # the records stay pending; `vigil worker` seals them on its next poll
        log.warning("audit sealing deferred: %s", type(exc).__name__)


class BackgroundSealer:
    """A server process's sealer: seals every `interval` seconds in a thread, so writers never wait for
    sealing (one per process; across processes the advisory lock keeps one sealer at a time)."""

    def __init__(self, db: Any, interval: float = 0.5) -> None:
        self.db, self.interval = db, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="vigil-audit-sealer", daemon=True)

    def start(self) -> None:
        self.db.background_sealer = self
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self.db.background_sealer = None
        seal_pending(self.db)  # what the last requests wrote

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            seal_pending(self.db)


def unsealed(session: Session) -> tuple[int, datetime | None]:
    """How many committed records wait to be sealed, and when the oldest of them was written."""
    count, oldest = session.execute(
        select(func.count(), func.min(AuditRecord.occurred_at)).where(AuditRecord.seq.is_(None))
    ).one()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    return int(count), oldest


after_write.append(seal_soon)
