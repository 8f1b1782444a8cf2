"""Keyset (cursor) pagination: pages stay stable under concurrent inserts and cost the same at any depth."""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, TypeDecorator, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from vigil.core.errors import Invalid
from vigil.core.schemas import ListSort, SyncQuery

T = TypeVar("T")
#: NUL and lone surrogates cannot be stored or compared by PostgreSQL.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    count: int | None = None  # with `?count=true`
    count_exact: bool | None = None


def pack(sort: str, **fields: Any) -> str:
    """An opaque cursor: the sort order it belongs to and where the previous page ended."""
    data = json.dumps({"s": sort, **fields}, separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def unpack(cursor: str, sort: str) -> dict[str, Any]:
    """The fields of a cursor made by `pack` for `sort`; anything else is a 422 naming `cursor`."""
    try:
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid("malformed cursor", field="cursor") from exc
    if not isinstance(data, dict) or "s" not in data:
        raise Invalid("malformed cursor", field="cursor")
    if data["s"] != sort:
        raise Invalid(
            "cursor belongs to a different list or sort order; restart from the first page", field="cursor"
        )
    return data


def encode_cursor(sort: str, value: Any, row_id: uuid.UUID) -> str:
    raw: Any = (
        {"t": "dt", "v": value.isoformat()} if isinstance(value, datetime) else {"t": "raw", "v": value}
    )
    return pack(sort, k=raw, id=str(row_id))


def decode_cursor(cursor: str, sort: str) -> tuple[Any, uuid.UUID]:
    """Return (sort value, id) of the last row of the previous page; a tampered cursor is Invalid."""
    data = unpack(cursor, sort)
    try:
        key = data["k"]
        value = datetime.fromisoformat(key["v"]) if key["t"] == "dt" else key["v"]
        return value, uuid.UUID(data["id"])
    except Invalid:
        raise
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise Invalid("malformed cursor", field="cursor") from exc


def _check_key(column: InstrumentedAttribute[Any], value: Any) -> None:
    """A cursor's key must have the sort column's type; a forged one is a 422, never a database error."""
    col_type = column.type
    if isinstance(col_type, TypeDecorator):
        col_type = col_type.impl_instance
    try:
        expected = col_type.python_type
    except NotImplementedError:  # pragma: no cover - every sortable column has a Python type
        return
    if expected is datetime:
        ok = isinstance(value, datetime) and value.tzinfo is not None
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    elif expected is str:
        ok = isinstance(value, str) and len(value) <= 1000 and not _UNSTORABLE.search(value)
    else:
        ok = isinstance(value, expected)
    if not ok:
        raise Invalid("malformed cursor", field="cursor")


def keyset(
    stmt: Select[Any],
    *,
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    descending: bool,
    after: tuple[Any, uuid.UUID] | None,
    limit: int,
) -> Select[Any]:
    """Order by (column, id) and start strictly after `after`; fetch one extra row to detect a next page."""
    if after is not None:
        _check_key(column, after[0])
        # A row-value comparison is an index range on both databases; the equivalent
        # `a < x OR (a = x AND id < y)` makes PostgreSQL filter every row before the cursor.
        key, bound = tuple_(column, id_column), tuple_(*after)
        stmt = stmt.where(key < bound if descending else key > bound)
    order = (column.desc(), id_column.desc()) if descending else (column.asc(), id_column.asc())
    return stmt.order_by(*order).limit(limit + 1)


def page(
    session: Session,
    stmt: Select[Any],
    *,
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    sort: str,
    cursor: str | None,
    limit: int,
    descending: bool = False,
    with_count: bool = False,
) -> Page[Any]:
    """One keyset page of `stmt` ordered by (column, id): what every list endpoint returns. `sort` names
    the order in the cursor, so a cursor of another list or order is refused; `with_count` adds the
    total (see `count`)."""
    after = decode_cursor(cursor, sort) if cursor else None
    ordered = keyset(
        stmt, column=column, id_column=id_column, descending=descending, after=after, limit=limit
    )
    rows = list(session.scalars(ordered).unique())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    next_cursor = (
        encode_cursor(sort, getattr(last, column.key), last.id) if more and last is not None else None
    )
    result: Page[Any] = Page(items=rows, next_cursor=next_cursor)
    if with_count:
        result.count, result.count_exact = count(session, stmt)
    return result


def synced_page(
    session: Session,
    stmt: Select[Any],
    query: SyncQuery,
    *,
    column: InstrumentedAttribute[Any],
    id_column: InstrumentedAttribute[Any],
    updated_column: InstrumentedAttribute[Any],
    sort: str,
) -> Page[Any]:
    """`page` of a list sync clients follow: `query.updated_after` keeps what changed since, and
    `sort=updated_at` orders by last change (oldest first) instead of the list's natural `column`."""
    if query.updated_after is not None:
        stmt = stmt.where(updated_column >= query.updated_after)
    if query.sort == ListSort.UPDATED_AT:
        column, sort = updated_column, f"{sort}:updated_at"
    return page(
        session, stmt, column=column, id_column=id_column, sort=sort,
        cursor=query.cursor, limit=query.limit, with_count=query.count,
    )  # fmt: skip


#: `?count=true` counts exactly up to this many rows; beyond it PostgreSQL's planner estimates.
COUNT_BOUND = 10_000


def count(session: Session, stmt: Select[Any], bound: int = COUNT_BOUND) -> tuple[int, bool]:
    """How many rows `stmt` selects, and whether that is exact: exact up to `bound` (a LIMITed count, never
    an unbounded COUNT(*)); beyond it the planner's estimate on PostgreSQL, else `bound` as a lower bound."""
    inner = stmt.order_by(None).limit(bound + 1).subquery()
    found = int(session.scalar(select(func.count()).select_from(inner)) or 0)
    if found <= bound:
        return found, True
    if session.get_bind().dialect.name == "postgresql":
        return max(_planner_estimate(session, stmt), bound + 1), False
    return bound + 1, False


def _planner_estimate(session: Session, stmt: Select[Any]) -> int:
    compiled = stmt.order_by(None).compile(dialect=session.get_bind().dialect)
    plan = session.connection().exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", dict(compiled.params))
    raw: Any = plan.scalar()
    document = json.loads(raw) if isinstance(raw, str) else raw
    return int(document[0]["Plan"]["Plan Rows"])
