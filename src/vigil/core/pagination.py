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

from sqlalchemy import Select, TypeDecorator, tuple_
from sqlalchemy.orm import InstrumentedAttribute

from vigil.core.errors import Invalid

T = TypeVar("T")
#: NUL and lone surrogates cannot be stored or compared by PostgreSQL.
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


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
