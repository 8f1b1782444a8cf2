"""Search, export and verify the audit trail. Every use case is for administrators only (see policy)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from sqlalchemy import ColumnElement, Row, func, select
from sqlalchemy.orm import Session

from vigil.auditlog import policy
from vigil.auditlog.schemas import AnchorRead, AuditFilter, AuditRecordRead, ChainProblemRead, VerifyResult
from vigil.core import audit, auditanchor, auditseal, clock, pagination
from vigil.core.actor import Actor
from vigil.core.audit import AuditRecord, ChainProblem
from vigil.core.config import get_settings
from vigil.core.errors import Conflict, Invalid
from vigil.core.pagination import Page
from vigil.core.refs import as_uuid

#: Rows per query while exporting: memory stays flat however long the trail is.
EXPORT_BATCH = 500
CSV_COLUMNS = (
    "seq",
    "occurred_at",
    "actor_name",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "channel",
    "request_id",
    "changes",
    "hash",
)
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CURSOR_SORT = "-id"


def _actor_clause(ref: str) -> ColumnElement[bool]:
    user_id = as_uuid(ref)
    if user_id is not None:
        return AuditRecord.actor_id == user_id
    return AuditRecord.actor_name.icontains(ref, autoescape=True)


def _action_clause(ref: str) -> ColumnElement[bool]:
    if ref.endswith(("*", ".")):
        return AuditRecord.action.startswith(ref.rstrip("*"), autoescape=True)
    return AuditRecord.action == ref


def _conditions(f: AuditFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if f.actor:
        conds.append(_actor_clause(f.actor))
    if f.action:
        conds.append(_action_clause(f.action))
    object_id = f.object_id
    if object_id is not None:
        # Object ids are recorded as canonical lower-case UUIDs; accept any spelling of one.
        parsed = as_uuid(object_id)
        object_id = str(parsed) if parsed is not None else object_id
    exact: tuple[tuple[Any, str | None], ...] = (
        (AuditRecord.object_type, f.object_type),
        (AuditRecord.object_id, object_id),
        (AuditRecord.channel, str(f.channel) if f.channel else None),
        (AuditRecord.request_id, f.request_id),
    )
    conds.extend(column == value for column, value in exact if value is not None)
    if f.occurred_after:
        conds.append(AuditRecord.occurred_at >= f.occurred_after)
    if f.occurred_before:
        conds.append(AuditRecord.occurred_at < f.occurred_before)
    return conds


def _encode_cursor(record_id: int) -> str:
    return pagination.pack(_CURSOR_SORT, id=record_id)


def _decode_cursor(cursor: str) -> int:
    """The id of the last record of the previous page; a tampered or foreign cursor is Invalid."""
    record_id = pagination.unpack(cursor, _CURSOR_SORT).get("id")
    if not isinstance(record_id, int) or isinstance(record_id, bool) or not 0 < record_id < 2**63:
        raise Invalid("malformed cursor", field="cursor")
    return record_id


def search(*, session: Session, actor: Actor, filters: AuditFilter) -> Page[AuditRecord]:
    """A page of matching records, newest first (in writing order, so records not sealed yet are listed
    too); `next_cursor` continues it."""
    policy.require(actor, "audit.read")
    stmt = select(AuditRecord).where(*_conditions(filters))
    if filters.cursor:
        stmt = stmt.where(AuditRecord.id < _decode_cursor(filters.cursor))
    rows = list(session.scalars(stmt.order_by(AuditRecord.id.desc()).limit(filters.limit + 1)))
    more = len(rows) > filters.limit
    rows = rows[: filters.limit]
    return Page(items=rows, next_cursor=_encode_cursor(rows[-1].id) if more else None)


def to_read(entry: AuditRecord) -> AuditRecordRead:
    return AuditRecordRead.model_validate(entry)


def export_csv(*, session: Session, actor: Actor, filters: AuditFilter) -> Iterator[str]:
    """CSV lines (header first) of every matching record in writing order, oldest first.

    `cursor` and `limit` are ignored: an export is the whole selection. Rights are checked on this call,
    before the first line is read, so a refused export fails before a response starts. The iterator reads
    `EXPORT_BATCH` rows per query and must be consumed while `session` is open.
    """
    policy.require(actor, "audit.read")
    return _csv_lines(session, _conditions(filters))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv_cells(row: Row[Any]) -> list[str]:
    changes = json.dumps(row.changes, sort_keys=True, ensure_ascii=False, default=str)
    values = (
        row.seq,
        row.occurred_at.isoformat(),
        row.actor_name,
        row.actor_id,
        row.action,
        row.object_type,
        row.object_id,
        row.channel,
        row.request_id,
        changes,
        row.hash,
    )
    return [_cell(v) for v in values]


def _csv_lines(session: Session, conds: list[ColumnElement[bool]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[str]) -> str:
        writer.writerow(cells)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield line(CSV_COLUMNS)
    columns = [getattr(AuditRecord, name) for name in CSV_COLUMNS]
    after = 0
    while True:
        stmt = select(AuditRecord.id, *columns).where(*conds, AuditRecord.id > after).order_by(AuditRecord.id)
        batch = session.execute(stmt.limit(EXPORT_BATCH)).all()
        for row in batch:
            yield line(_csv_cells(row))
        if len(batch) < EXPORT_BATCH:
            return
        after = batch[-1].id


def _result(session: Session, checked: int, problem: ChainProblem | None) -> VerifyResult:
    """The walk's outcome plus the sealer's backlog; a backlog older than the bound is a problem too."""
    count, oldest = auditseal.unsealed(session)
    age = (clock.now() - oldest).total_seconds() if oldest is not None else None
    if problem is None and age is not None and age > get_settings().audit_seal_max_seconds:
        problem = ChainProblem(
            "unsealed",
            checked + 1,
            None,
            f"{count} records wait to be sealed, the oldest for {age:.0f} s: is `vigil worker` running?",
        )
    found = ChainProblemRead.model_validate(asdict(problem)) if problem is not None else None
    return VerifyResult(
        ok=problem is None, checked=checked, problem=found, unsealed=count, oldest_unsealed_seconds=age
    )


def verify(*, session: Session, actor: Actor, anchor: str | None = None) -> VerifyResult:
    """Walk the whole hash chain; `ok` is False with the first problem when it is broken.

    With `anchor` (the JSON `anchor()` gave), the log must also still hold the anchored record: that
    catches its last records removed with the head moved back. An anchor whose MAC fails is Invalid.
    """
    policy.require(actor, "audit.verify")
    if anchor is None:
        return _result(session, *audit.verify(session))
    return _result(session, *auditanchor.check(session, auditanchor.parse(anchor)))


def anchor(*, session: Session, actor: Actor) -> AnchorRead:
    """A signed checkpoint of the chain head; a broken chain is a Conflict naming its first problem."""
    policy.require(actor, "audit.anchor")
    taken, problem = auditanchor.take(session)
    if taken is None:
        detail = f"{problem.kind} at seq {problem.seq}: {problem.detail}" if problem else "no chain"
        raise Conflict(f"the audit chain is broken, so it is not anchored: {detail}")
    return AnchorRead.model_validate(asdict(taken))


def cursor_from(session: Session, seq: int) -> str:
    """A cursor whose page starts at the record at chain position `seq` (and goes on to older ones)."""
    found = session.scalar(select(func.min(AuditRecord.id)).where(AuditRecord.seq >= seq))
    return _encode_cursor((found or 2**62) + 1)
