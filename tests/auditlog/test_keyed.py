"""The keyed chain against a database writer: forged chains, lost keys, rotation, anchors, legacy adoption."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tests.auditlog.conftest import chain_ids, check, execute, keyed_hash, make_admin, seeded
from tests.dbutil import BACKENDS
from tests.factories.incidents import make_incident
from vigil import migrate
from vigil.core import audit, auditanchor, auditkey, auditseal
from vigil.core.actor import Actor
from vigil.core.audit import AuditChainHead, AuditRecord
from vigil.core.db import Database
from vigil.core.errors import Invalid


def _rechain_from(db: Database, seq: int, mac: object) -> None:
    """The forger's move: edit record `seq`, then recompute it, every later hash and the head."""
    with db.unit_of_work() as s:
        entries = list(s.scalars(select(AuditRecord).where(AuditRecord.seq >= seq).order_by(AuditRecord.seq)))
        entries[0].changes = {"title": [None, "nothing happened here"]}
        prev = entries[0].prev_hash
        for entry in entries:
            entry.prev_hash = prev
            entry.hash = prev = mac(entry)  # type: ignore[operator]
        s.flush()
        s.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": prev})


def _plain(entry: AuditRecord) -> str:
    return audit.record_hash(entry.prev_hash, audit.hashed_fields(entry))


def _wrong_key(entry: AuditRecord) -> str:
    return audit.record_mac(b"a guess at the key, 32 bytes long", entry.prev_hash, audit.hashed_fields(entry))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("mac", [_plain, _wrong_key], ids=["public-sha256", "wrong-key"])
def test_a_changed_and_rechained_log_is_caught(backend: str, tmp_path: Path, mac: object) -> None:
    with seeded(backend, tmp_path) as (_, db):
        ids = chain_ids(db)
        _rechain_from(db, 3, mac)
        checked, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq, problem.record_id) == (
            "changed",
            3,
            ids[3],
        )
        assert checked == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_rechained_log_posing_as_unkeyed_is_caught_and_never_adopted(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        _rechain_from(db, 3, _plain)
        execute(db, "UPDATE audit_record SET key_id = NULL WHERE seq >= 3")
        _, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq) == ("unkeyed", 3)
        with db.unit_of_work() as s:
            adoption = audit.adopt_legacy(s)
        assert adoption.adopted == 0 and adoption.problem is not None and adoption.problem.seq == 3
        assert check(db)[1] == problem, "a refused adoption rewrites nothing"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_record_naming_an_unknown_key_is_reported(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        ids = chain_ids(db)
        execute(db, "UPDATE audit_record SET key_id = 'nosuchkey' WHERE seq = 2")
        _, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq, problem.record_id) == (
            "unknown_key",
            2,
            ids[2],
        )
        assert "'nosuchkey'" in problem.detail and "not in the audit keyring" in problem.detail


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_lost_key_file_makes_the_log_unverifiable(backend: str, tmp_path: Path, key_file: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        key_file.unlink()
        auditkey.reset_cache()
        _, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq) == ("unknown_key", 1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_records_before_and_after_a_rotation_verify(backend: str, tmp_path: Path, key_file: Path) -> None:
    with seeded(backend, tmp_path, incidents=2) as (_, db):
        first = auditkey.keyring().current
        second = auditkey.rotate()
        with db.unit_of_work() as s:
            make_incident(s, make_admin(s), title="After the rotation")
        with db.unit_of_work() as s:
            used = list(s.scalars(select(AuditRecord.key_id).order_by(AuditRecord.seq)))
        assert used == [first] * 3 + [second] * 2
        assert check(db) == (5, None)


def _truncate(db: Database, keep: int) -> None:
    """The other forger's move: drop the newest records and move the head back to the last one kept."""
    execute(db, "DELETE FROM audit_record WHERE seq > :keep", keep=keep)
    execute(
        db,
        "UPDATE audit_chain_head SET last_seq = :keep,"
        " last_hash = (SELECT hash FROM audit_record WHERE seq = :keep)",
        keep=keep,
    )


def _anchor(db: Database) -> auditanchor.Anchor:
    with db.unit_of_work() as s:
        taken, problem = auditanchor.take(s)
    assert taken is not None and problem is None
    return taken


def _against(db: Database, anchor: auditanchor.Anchor) -> tuple[int, audit.ChainProblem | None]:
    with db.unit_of_work() as s:
        return auditanchor.check(s, auditanchor.parse(anchor.to_json()))


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_cut_back_log_passes_plain_verify_but_not_its_anchor(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        anchor = _anchor(db)
        assert (anchor.seq, anchor.records) == (5, 5) and _against(db, anchor) == (5, None)
        _truncate(db, keep=3)
        assert check(db) == (3, None), "plain verify cannot know what was never there"
        checked, problem = _against(db, anchor)
        assert problem is not None and (problem.kind, problem.seq, problem.record_id) == (
            "truncated",
            5,
            None,
        )
        assert checked == 3 and "ends at seq 3" in problem.detail


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_cut_back_log_written_past_its_anchor_again_is_caught(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        anchor = _anchor(db)
        _truncate(db, keep=3)
        with db.unit_of_work() as s:
            admin = make_admin(s)  # Vigil goes on writing: seq 4 and 5 again, validly MACed
            make_incident(s, admin, title="Innocent-looking")
        assert check(db) == (5, None)
        _, problem = _against(db, anchor)
        assert problem is not None and (problem.kind, problem.seq) == ("truncated", 5)
        assert problem.record_id == chain_ids(db)[5]


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_anchor_survives_key_rotation_and_later_records(
    backend: str, tmp_path: Path, key_file: Path
) -> None:
    with seeded(backend, tmp_path) as (_, db):
        anchor = _anchor(db)
        auditkey.rotate()
        with db.unit_of_work() as s:
            make_incident(s, make_admin(s), title="Later")
        assert _against(db, anchor) == (7, None)


@pytest.mark.parametrize(
    ("field", "value"), [("seq", 3), ("hash", "0" * 64), ("records", 9), ("mac", "0" * 64)]
)
def test_a_tampered_anchor_is_refused(session: Session, admin: Actor, field: str, value: object) -> None:
    audit.record(session, admin, action="test.anchor", object_type="test", object_id=1)
    auditseal.seal(session)
    taken, _ = auditanchor.take(session)
    assert taken is not None
    data = json.loads(taken.to_json())
    data[field] = value
    with pytest.raises(Invalid, match="MAC does not match"):
        auditanchor.parse(json.dumps(data))


@pytest.mark.parametrize(
    ("text", "message"),
    [("not json", "not JSON"), ("[]", "not a version 1"), ('{"version": 1, "seq": "5"}', "seq")],
)
def test_a_malformed_anchor_is_refused(text: str, message: str) -> None:
    with pytest.raises(Invalid, match=message):
        auditanchor.parse(text)


def test_an_anchor_of_another_keyring_is_refused(key_file: Path, session: Session, admin: Actor) -> None:
    audit.record(session, admin, action="test.anchor", object_type="test", object_id=1)
    taken, _ = auditanchor.take(session)
    assert taken is not None
    key_file.write_text(auditkey.new_entry() + "\n")
    auditkey.reset_cache()
    with pytest.raises(Invalid, match="not in the audit keyring"):
        auditanchor.parse(taken.to_json())


def test_long_object_ids_are_stored_as_their_digest(session: Session, admin: Actor) -> None:
    email = "x" * 238 + "@example.com"
    long_id = "y" * 256
    kept = audit.record(session, admin, action="test.long", object_type="user", object_id=email)
    hashed = audit.record(session, admin, action="test.long", object_type="user", object_id=long_id)
    assert len(email) == 250 and kept.object_id == email
    assert hashed.object_id.startswith("sha256:") and len(hashed.object_id) == 7 + 64
    assert audit.for_object(session, "user", long_id) == [hashed]
    assert audit.for_object(session, "user", email) == [kept]
    assert kept.key_id == auditkey.keyring().current


def _legacy_log(db: Database) -> None:
    """Records as Vigil wrote them before keying: no key id, plain SHA-256 links."""
    with db.unit_of_work() as s:
        prev = audit.GENESIS
        for entry in s.scalars(select(AuditRecord).order_by(AuditRecord.seq)):
            entry.key_id, entry.prev_hash = None, prev
            entry.hash = prev = _plain(entry)
        s.flush()
        s.execute(text("UPDATE audit_chain_head SET last_hash = :h"), {"h": prev})


@pytest.mark.parametrize("backend", BACKENDS)
def test_adoption_rekeys_a_legacy_log_and_the_keyed_records_after_it(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path, incidents=3) as (url, db):
        _legacy_log(db)
        with db.unit_of_work() as s:
            make_incident(s, make_admin(s), title="Written before adoption")  # keyed, linked to legacy
        assert check(db)[1] is not None
        adoption = migrate.adopt_audit(url)
        assert adoption is not None and (adoption.adopted, adoption.problem) == (6, None)
        assert check(db) == (6, None)
        with db.unit_of_work() as s:
            assert set(s.scalars(select(AuditRecord.key_id))) == {auditkey.keyring().current}
            head = s.get(AuditChainHead, 1)
            assert head is not None and head.last_hash == keyed_hash(
                s.scalars(select(AuditRecord).where(AuditRecord.seq == 6)).one()
            )
        again = migrate.adopt_audit(url)
        assert again is not None and again.adopted == 0, "adoption happens once"


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_tampered_legacy_log_is_not_adopted(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (url, db):
        _legacy_log(db)
        execute(db, "UPDATE audit_record SET actor_name = :n WHERE seq = 2", n=secrets.token_hex(4))
        adoption = migrate.adopt_audit(url)
        assert adoption is not None and adoption.adopted == 0 and adoption.problem is not None
        assert (adoption.problem.kind, adoption.problem.seq) == ("changed", 2)
        with db.unit_of_work() as s:
            assert s.scalar(select(AuditRecord.key_id).where(AuditRecord.seq == 5)) is None


@pytest.mark.parametrize("backend", BACKENDS)
def test_legacy_records_verify_only_once_adopted(backend: str, tmp_path: Path) -> None:
    with seeded(backend, tmp_path) as (_, db):
        _legacy_log(db)
        _, problem = check(db)
        assert problem is not None and (problem.kind, problem.seq) == ("unkeyed", 1)
        assert "not adopted yet" in problem.detail
        with db.unit_of_work() as s:
            assert audit.adopt_legacy(s, batch=2) == audit.Adoption(5)
        assert check(db) == (5, None)
