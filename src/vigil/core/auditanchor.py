"""Anchors: signed checkpoints of the audit chain's head that an administrator keeps outside Vigil."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import asdict, dataclass, replace
from datetime import UTC
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from vigil.core import audit, auditkey, clock
from vigil.core.audit import AuditChainHead, AuditRecord, ChainProblem
from vigil.core.errors import Invalid

VERSION = 1
# Anchors are MACed with a key derived for them, so an anchor can never pass for a record's hash.
_PURPOSE = b"vigil-audit-anchor"


@dataclass(frozen=True)
class Anchor:
    """The head as it was at `at`: position, hash, how many records, and the MAC over all of it."""

    version: int
    seq: int
    hash: str
    records: int
    at: str
    key_id: str
    mac: str

    def payload(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "mac"}

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)


def _mac(secret: bytes, payload: dict[str, Any]) -> str:
    anchor_key = hmac.new(secret, _PURPOSE, hashlib.sha256).digest()
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
    return hmac.new(anchor_key, canonical, hashlib.sha256).hexdigest()


def take(session: Session) -> tuple[Anchor | None, ChainProblem | None]:
    """An anchor of the current head, or the chain's first problem: a broken log is never anchored."""
    checked, problem = audit.verify(session)
    if problem is not None:
        return None, problem
    head = session.execute(
        select(AuditChainHead.last_seq, AuditChainHead.last_hash).where(AuditChainHead.id == 1)
    ).one_or_none()
    seq, last_hash = (int(head.last_seq), str(head.last_hash)) if head else (0, audit.GENESIS)
    ring = auditkey.keyring()
    at = clock.now().astimezone(UTC).isoformat()
    unsigned = Anchor(VERSION, seq, last_hash, checked, at, ring.current, mac="")
    return replace(unsigned, mac=_mac(ring.secret, unsigned.payload())), None


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Invalid(f"anchor: {name} is missing or not a {kind.__name__}", field="anchor")
    return value


def parse(text: str) -> Anchor:
    """An anchor from its JSON, refused unless its MAC verifies with a key of the keyring."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise Invalid("anchor: not JSON", field="anchor") from exc
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise Invalid(f"anchor: not a version {VERSION} audit anchor", field="anchor")
    names = {"seq": int, "hash": str, "records": int, "at": str, "key_id": str, "mac": str}
    anchor = Anchor(version=VERSION, **{name: _field(data, name, kind) for name, kind in names.items()})
    secret = auditkey.secret_for(anchor.key_id)
    if secret is None:
        raise Invalid(f"anchor: key {anchor.key_id!r} is not in the audit keyring", field="anchor")
    if not hmac.compare_digest(_mac(secret, anchor.payload()), anchor.mac):
        raise Invalid("anchor: its MAC does not match: altered, or not taken by this Vigil", field="anchor")
    return anchor


def check(session: Session, anchor: Anchor) -> tuple[int, ChainProblem | None]:
    """Verify the chain, then that it still holds the anchored record: catches a log cut back."""
    checked, problem = audit.verify(session)
    if problem is not None or anchor.seq == 0:
        return checked, problem
    row = session.execute(
        select(AuditRecord.id, AuditRecord.hash).where(AuditRecord.seq == anchor.seq)
    ).one_or_none()
    if row is None:
        return checked, ChainProblem(
            "truncated",
            anchor.seq,
            None,
            f"the log ends at seq {checked}, before the anchor of {anchor.at} (seq {anchor.seq}):"
            " its last records were removed and the chain head moved back",
        )
    if not hmac.compare_digest(str(row.hash), anchor.hash):
        return checked, ChainProblem(
            "truncated",
            anchor.seq,
            int(row.id),
            f"record id {row.id} (seq {anchor.seq}) is not the record anchored at {anchor.at}:"
            " the log was cut back and written again since",
        )
    return checked, None
