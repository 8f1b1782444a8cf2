"""Writers only insert audit records; one sealer chains them after commit. Nothing a database writer
inserts or rewrites behind Vigil's back is ever sealed into the chain."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.auditlog.conftest import check, execute, seeded
from tests.conftest import Clock
from tests.dbutil import BACKENDS, PG_URL
from tests.factories.auth import api_token
from vigil.app import create_app
from vigil.auditlog import service
from vigil.auth import service as auth_service
from vigil.core import audit, auditseal
from vigil.core.actor import Actor, Channel
from vigil.core.audit import AuditChainHead, AuditRecord
from vigil.core.db import Database
from vigil.core.jobs import worker


def _head(session: Session) -> tuple[int, str]:
    row = session.execute(select(AuditChainHead.last_seq, AuditChainHead.last_hash)).one()
    return int(row[0]), str(row[1])


def test_writers_leave_the_head_alone_and_the_sealer_chains_in_order(session: Session, admin: Actor) -> None:
    auditseal.seal(session)  # the administrator's own creation
    before = _head(session)
    entries = [
        audit.record(session, admin, action="test.write", object_type="t", object_id=i) for i in range(3)
    ]
    session.flush()
    assert _head(session) == before and all(e.seq is None and e.hash is None for e in entries)
    assert auditseal.seal(session) == 3
    assert [e.seq for e in entries] == [before[0] + 1, before[0] + 2, before[0] + 3]
    assert _head(session) == (before[0] + 3, entries[-1].hash)
    assert auditseal.seal(session) == 0
    assert audit.verify(session)[1] is None


def test_a_committed_unit_of_work_seals_its_records(db: Database, admin: Actor) -> None:
    with db.unit_of_work() as s:
        entry = audit.record(s, admin, action="test.commit", object_type="t", object_id=1)
    with db.unit_of_work() as s:
        assert s.get(AuditRecord, entry.id).seq is not None  # type: ignore[union-attr]


@pytest.mark.parametrize("backend", BACKENDS)
def test_rows_inserted_behind_vigils_back_are_never_sealed(
    backend: str, tmp_path: Path, frozen_clock: Clock
) -> None:
    with seeded(backend, tmp_path, incidents=2) as (_, db):
        execute(
            db,
            "INSERT INTO audit_record (occurred_at, actor_name, action, object_type, object_id, changes, channel)"
            " VALUES (:at, 'Mallory', 'user.create', 'user', 'x', '{}', 'api')",
            at=frozen_clock.now.replace(tzinfo=None),
        )
        worker.run_pending(db)
        checked, problem = check(db)
        assert problem is None  # the chain itself is intact: the forged row is simply not in it
        with db.unit_of_work() as s:
            assert s.scalar(select(AuditRecord.seq).where(AuditRecord.actor_name == "Mallory")) is None
            frozen_clock.advance(hours=1)
            result = service.verify(session=s, actor=_system())
        assert not result.ok and result.problem is not None and result.problem.kind == "unsealed"
        assert result.unsealed == 1


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_sealer_is_no_oracle_for_rewritten_records(
    backend: str, tmp_path: Path, frozen_clock: Clock
) -> None:
    """Rewrite the newest record, unseal it and move the head back: the sealer refuses to chain it
    (its writer's MAC no longer matches), so the rewrite cannot be laundered into a valid chain."""
    with seeded(backend, tmp_path, incidents=3) as (_, db):
        last, _ = check(db)
        with db.unit_of_work() as s:
            prev = s.scalar(select(AuditRecord.prev_hash).where(AuditRecord.seq == last))
        execute(
            db,
            "UPDATE audit_record SET actor_name = 'Mallory', seq = NULL, hash = NULL WHERE seq = :s",
            s=last,
        )
        execute(db, "UPDATE audit_chain_head SET last_seq = :s, last_hash = :h", s=last - 1, h=prev)
        worker.run_pending(db)
        with db.unit_of_work() as s:
            assert s.scalar(select(AuditRecord.seq).where(AuditRecord.actor_name == "Mallory")) is None
            frozen_clock.advance(hours=1)
            result = service.verify(session=s, actor=_system())
        assert not result.ok and result.problem is not None and result.problem.kind == "unsealed"


def test_the_worker_seals_what_writers_left(db: Database, admin: Actor) -> None:
    with db.unit_of_work() as s:
        entry = audit.record(s, admin, action="test.left", object_type="t", object_id=1)
        s.info.pop(audit.AFTER_COMMIT)  # as if the process died between its commit and sealing
    with db.unit_of_work() as s:
        assert s.get(AuditRecord, entry.id).seq is None  # type: ignore[union-attr]
    worker.run_pending(db)
    with db.unit_of_work() as s:
        assert s.get(AuditRecord, entry.id).seq is not None  # type: ignore[union-attr]


@pytest.mark.skipif(not PG_URL, reason="two sealers at once need PostgreSQL: set VIGIL_TEST_DATABASE_URL")
def test_one_sealer_at_a_time_on_postgresql(tmp_path: Path) -> None:
    with seeded("postgresql", tmp_path, incidents=1) as (_, db):
        with db.unit_of_work() as s:
            s.info.pop(audit.AFTER_COMMIT, None)
            audit.record(s, _system(), action="test.race", object_type="t", object_id=1)
            s.info.pop(audit.AFTER_COMMIT)
        with db.unit_of_work() as first:
            first.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": auditseal.SEAL_LOCK})
            with db.unit_of_work() as second:
                assert auditseal.seal(second) == 0  # does not wait: the lock holder seals
        with db.unit_of_work() as s:
            assert auditseal.seal(s) == 1


def _system() -> Actor:
    return auth_service.system_actor()


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_servers_background_sealer_keeps_sealing_off_the_request(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path, incidents=1) as (_, db):
        sealer = auditseal.BackgroundSealer(
            db, interval=3600
        )  # idle: only its stop() seals, for a determinate test
        sealer.start()
        try:
            with db.unit_of_work() as s:
                entry = audit.record(s, _system(), action="test.bg", object_type="t", object_id=1)
            with db.unit_of_work() as s:
                assert s.get(AuditRecord, entry.id).seq is None  # type: ignore[union-attr]  # the writer did not wait
        finally:
            sealer.stop()
        with db.unit_of_work() as s:
            assert s.get(AuditRecord, entry.id).seq is not None  # type: ignore[union-attr]
        assert check(db)[1] is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_api_write_leaves_sealing_to_the_servers_background_sealer(backend: str, tmp_path: Path) -> None:
    """Through HTTP: the request's own database view must see the server's sealer, or each write would
    seal inline (five more statements) before its response goes out."""
    with seeded(backend, tmp_path, incidents=0) as (_, db):
        with db.unit_of_work() as s:
            token = api_token(s, auth_service.operator_actor(s, Channel.CLI, None).user_id)
        sealer = auditseal.BackgroundSealer(db, interval=3600)  # idle until stop()
        sealer.start()
        try:
            with TestClient(create_app(db, background_sealer=False)) as client:
                answer = client.post(
                    "/api/v1/incidents",
                    json={"title": "Disk full", "impact": "low", "urgency": "low"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert answer.status_code == 201, answer.text
            with db.unit_of_work() as s:
                pending = s.scalars(select(AuditRecord).where(AuditRecord.seq.is_(None))).all()
                assert [e.action for e in pending] == ["incident.create"]
        finally:
            sealer.stop()
        assert check(db)[1] is None
        with db.unit_of_work() as s:
            assert auditseal.unsealed(s)[0] == 0  # stop() sealed what the request wrote
