"""Helpers of a bulk import: CSV cells typed by a class's attribute schema, and keys taken a few hundred at a
time for bulk lookups."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from vigil.cmdb.models import CIClass

#: Keys per bulk lookup query (well under either database's limit on bound parameters).
CHUNK = 500


def chunks(values: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for v in values:
        batch.append(v)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


_BOOLS = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}


def _coerce(value: Any, kind: Any) -> Any:
    """A CSV cell as the attribute schema's type wants it; left as text when it does not parse (the schema
    then says what is wrong)."""
    if not isinstance(value, str) or not isinstance(kind, str):
        return value
    text = value.strip()
    try:
        if kind == "integer" and re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if kind == "number":
            return float(text)
        if kind == "boolean" and text.lower() in _BOOLS:
            return _BOOLS[text.lower()]
        if kind == "array":
            return [part.strip() for part in text.split(";") if part.strip()]
        if kind == "object":
            return json.loads(text)
    except ValueError:
        return value
    return value


def typed_attributes(ci_class: CIClass, attributes: dict[str, Any]) -> dict[str, Any]:
    props = (ci_class.attribute_schema or {}).get("properties", {})
    return {k: _coerce(v, props.get(k, {}).get("type")) for k, v in attributes.items()}
