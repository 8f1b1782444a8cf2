"""Reading posted HTML forms for the schemas: trimmed values, lists, and checkboxes that are never guessed.

What a refused form shows beside its fields comes from `core.validation.form_errors`, shared with every page.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.datastructures import FormData

#: What a ticked checkbox (or a yes/no hidden field) sends; an unticked checkbox sends nothing at all.
YES, NO = frozenset({"on", "true", "1", "yes"}), frozenset({"off", "false", "0", "no"})


def values(posted: FormData, *, multi: Iterable[str] = ()) -> dict[str, Any]:
    """The posted fields as a schema's input: each value trimmed and a blank one left out (so the schema's
    default or "required" applies), the `multi` fields as lists (repeated or comma-separated), and the
    CSRF token (checked by its dependency) dropped."""
    lists = set(multi)
    data: dict[str, Any] = {}
    for key in posted:
        if key == "csrf_token":
            continue
        if key in lists:
            data[key] = [v.strip() for v in posted.getlist(key) for v in str(v).split(",") if v.strip()]
        else:
            value = str(posted.get(key, "")).strip()
            if value:
                data[key] = value
    return data


def yes_no(value: Any) -> Any:
    """A checkbox or yes/no field as a boolean: absent is no, and anything but the usual words is passed
    on as it came, for the schema's strict boolean to refuse (`internal=maybe` is an error, not a no)."""
    if value is None or value == "":
        return False
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    return value
