"""The hash chain on committed databases: tampering is found and named, the 0002 backfill verifies."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import JSON, DateTime, Uuid, bindparam, event, select, text

from tests.auditlog.conftest import chain_ids, check, execute, keyed_hash, make_admin, seeded
from tests.dbutil import BACKENDS, PG_URL, fresh_database
from tests.factories.incidents import make_incident
from vigil import migrate
from vigil.core import auditkey
from vigil.core.audit import AuditRecord
from vigil.core.db import Database


@pytest.mark.parametrize("backend", BACKENDS)
def test_intact_chain_verifies_with_its_count(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        checked, problem = check(db)
        assert problem is None and checked == len(chain_ids(db)) == 5  # user.create + 4 incident.create


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("column", "value"),
    [("action", "incident.cancel"), ("actor_name", "Someone Else"), ("changes", {"title": [None, "forged"]})],
)
def test_an_edited_record_is_changed(backend: str, tmp_path: Path, column: str, value: object) -> None:
    with seeded(backend, tmp_path) as (_, db):
        ids = chain_ids(db)
        stmt = text(f"UPDATE audit_record SET {column} = :v WHERE seq = 3")
        if column == "changes":
            stmt = stmt.bindparams(bindparam("v", type_=JSON))
        with db.unit_of_work() as s:
            s.execute(stmt, {"v": value})
        checked, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq, problem.record_id) == (
            "changed",
            3,
            ids[3],
        )
        assert f"record id {ids[3]} (seq 3)" in problem.detail and checked == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_deleted_middle_record_is_removed(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        ids = chain_ids(db)
        execute(db, "DELETE FROM audit_record WHERE seq = 3")
        _, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq, problem.record_id) == ("removed", 3, None)
        assert f"before record id {ids[4]}" in problem.detail


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_deleted_last_record_is_removed(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        execute(db, "DELETE FROM audit_record WHERE seq = 5")  # the head still says 5
        checked, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq) == ("removed", 5)
        assert "records 5 entries; 4 remain" in problem.detail and checked == 4


@pytest.mark.parametrize("backend", BACKENDS)
def test_swapped_positions_are_found_at_the_first_one(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        ids = chain_ids(db)
        execute(db, "UPDATE audit_record SET seq = -1 WHERE seq = 2")
        execute(db, "UPDATE audit_record SET seq = 2 WHERE seq = 4")
        execute(db, "UPDATE audit_record SET seq = 4 WHERE seq = -1")
        _, problem = check(db)
        assert problem is not None and problem.kind in ("changed", "reordered")
        assert (problem.seq, problem.record_id) == (2, ids[4])


@pytest.mark.parametrize("backend", BACKENDS)
def test_swapped_contents_are_changed(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        ids = chain_ids(db)
        with db.unit_of_work() as s:
            a, b = (s.get(AuditRecord, ids[n]) for n in (2, 3))
            assert a is not None and b is not None
            a.object_id, b.object_id = b.object_id, a.object_id
            a.changes, b.changes = b.changes, a.changes
        _, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq, problem.record_id) == (
            "changed",
            2,
            ids[2],
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_moved_and_rehashed_records_are_reordered(backend: str, tmp_path: Path) -> None:
    """Someone who even holds the key recomputes a moved record's own MAC: its link still gives it away."""
    with seeded(backend, tmp_path) as (_, db):
        ids = chain_ids(db)
        with db.unit_of_work() as s:
            for seq, new_seq in ((2, -1), (4, 2), (-1, 4)):
                entry = s.scalars(select(AuditRecord).where(AuditRecord.seq == seq)).one()
                entry.seq = new_seq
                entry.hash = keyed_hash(entry)
                s.flush()
        _, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq, problem.record_id) == (
            "reordered",
            2,
            ids[4],
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_rehashed_last_record_is_changed(backend: str, tmp_path: Path) -> None:
    """The last record has no successor to betray it; the chain head does."""
    with seeded(backend, tmp_path) as (_, db):
        ids = chain_ids(db)
        with db.unit_of_work() as s:
            entry = s.scalars(select(AuditRecord).where(AuditRecord.seq == 5)).one()
            entry.changes = {"title": [None, "nothing to see"]}
            entry.hash = keyed_hash(entry)
        _, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq, problem.record_id) == (
            "changed",
            5,
            ids[5],
        )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_record_appended_past_the_head_is_reordered(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        with db.unit_of_work() as s:
            last = s.scalars(select(AuditRecord).where(AuditRecord.seq == 5)).one()
            forged = AuditRecord(
                occurred_at=last.occurred_at,
                actor_id=None,
                actor_name="ghost",
                action="incident.close",
                object_type="incident",
                object_id=last.object_id,
                changes={},
                channel="api",
                request_id=None,
                seq=6,
                prev_hash=last.hash,
                key_id=last.key_id,
            )
            forged.hash = keyed_hash(forged)
            s.add(forged)
            s.flush()
            forged_id = forged.id
        _, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq, problem.record_id) == (
            "reordered",
            6,
            forged_id,
        )


@pytest.mark.postgres_only
@pytest.mark.skipif(not PG_URL, reason="needs concurrent writers: set VIGIL_TEST_DATABASE_URL")
def test_records_committed_while_verifying_are_no_break(tmp_path: Path) -> None:
    """READ COMMITTED: a writer may commit between the walk and the read of the chain head."""
    with seeded("postgresql", tmp_path) as (url, db):
        writer = Database(url)
        with writer.unit_of_work() as s:
            admin = make_admin(s)

        done: list[bool] = []

        def commit_meanwhile(conn: object, cursor: object, statement: str, *args: object) -> None:
            if "audit_chain_head" in statement and not done:
                done.append(True)
                with writer.unit_of_work() as s:
                    make_incident(s, admin, title="Committed mid-verify")

        event.listen(db.engine, "before_cursor_execute", commit_meanwhile)
        try:
            checked, problem = check(db)
        finally:
            event.remove(db.engine, "before_cursor_execute", commit_meanwhile)
            writer.dispose()
        assert done
        assert problem is None and checked == len(chain_ids(db)) == 7


@pytest.mark.parametrize("backend", BACKENDS)
def test_records_from_before_the_chain_are_backfilled_and_verify(backend: str, tmp_path: Path) -> None:
    """Rows written at revision 0001 get their hashes from 0002's frozen copy, then are adopted at head.

    Adoption verifies that unkeyed chain with the frozen SHA-256 first: it must agree with 0002's copy.
    """
    old_rows = [
        {
            "at": datetime(2026, 1, 5, 8, 30, tzinfo=UTC),
            "actor_id": None,
            "name": "Vigil",
            "action": "incident.close",
            "changes": {"status": ["resolved", "closed"]},
            "request_id": None,
        },
        {
            "at": datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=UTC),
            "actor_id": uuid.uuid4(),
            "name": "Zoë Ågren",
            "action": "incident.update",
            "changes": {"title": ["Zürich down", "Zürich ✓"], "tags": [[], ["dns", "edge"]], "n": [1, 2.5]},
            "request_id": "abc-123",
        },
        {
            "at": datetime(2026, 1, 6, 23, 59, 59, 999999, tzinfo=UTC),
            "actor_id": uuid.uuid4(),
            "name": "=cmd",
            "action": "user.create",
            "changes": {},
            "request_id": "r" * 64,
        },
    ]
    insert = text(
        "INSERT INTO audit_record (occurred_at, actor_id, actor_name, action, object_type, object_id,"
        " changes, channel, request_id) VALUES (:at, :actor_id, :name, :action, 'incident', :oid,"
        " :changes, 'api', :request_id)"
    ).bindparams(
        bindparam("at", type_=DateTime(timezone=True)),
        bindparam("actor_id", type_=Uuid()),
        bindparam("changes", type_=JSON()),
    )
    with fresh_database(backend, tmp_path) as url:
        migrate.upgrade(url, "0001")
        db = Database(url)
        try:
            with db.unit_of_work() as s:
                for row in old_rows:
                    s.execute(insert, {**row, "oid": str(uuid.uuid4())})
            adoption = migrate.upgrade(url)
            assert adoption is not None and (adoption.adopted, adoption.problem) == (len(old_rows), None)
            with db.unit_of_work() as s:
                assert set(s.scalars(select(AuditRecord.key_id))) == {auditkey.keyring().current}
                admin = make_admin(s)
                make_incident(s, admin, title="After the upgrade")
            checked, problem = check(db)
            assert problem is None and checked == len(old_rows) + 2
            assert sorted(chain_ids(db)) == list(range(1, len(old_rows) + 3))
        finally:
            db.dispose()
