"""References to records as people and clients give them: a UUID, or a human key (number, email, name)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement


def as_uuid(ref: object) -> uuid.UUID | None:
    """`ref` as a UUID, or None when it is not one."""
    if isinstance(ref, uuid.UUID):
        return ref
    try:
        return uuid.UUID(str(ref))
    except ValueError:
        return None


def ref_clause(
    id_column: Any, key_column: Any, ref: object, *, key: str | None = None
) -> ColumnElement[bool]:
    """The SQL condition matching `ref`: by id when it is a UUID, else `key_column == key` (the caller's
    normalised form of the human key, e.g. an upper-cased number; `ref` stripped by default)."""
    parsed = as_uuid(ref)
    if parsed is not None:
        return id_column == parsed  # type: ignore[no-any-return]
    return key_column == (key if key is not None else str(ref).strip())  # type: ignore[no-any-return]
