"""Pydantic and domain validation errors in plain words: (field, message) pairs for the API, the CLI and
the library, and {form field: sentence naming its label} for the web forms."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

from vigil.core.errors import VigilError

Errors = list[tuple[str, str]]


def field_errors(errors: ValidationError | Iterable[Mapping[str, Any]], *, skip: int = 0) -> Errors:
    """Each error's dotted field path (dropping the first `skip` parts, such as "body") and message;
    an error on the whole input is named "form"."""
    items = errors.errors() if isinstance(errors, ValidationError) else errors
    out: Errors = []
    for err in items:
        loc = [str(p) for p in err.get("loc", ())][skip:] or [str(p) for p in err.get("loc", ())]
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        out.append((".".join(loc) or "form", message))
    return out


def first_per_field(errors: ValidationError) -> dict[str, str]:
    """The first message for each top-level field, for forms that show errors beside their fields."""
    out: dict[str, str] = {}
    for field, message in field_errors(errors):
        out.setdefault(field.split(".")[0], message)
    return out


def summary(errors: ValidationError) -> str:
    """Every error on one line: "title: String should have at least 1 character; impact: ..."."""
    return "; ".join(f"{field}: {message}" for field, message in field_errors(errors))


#: What a form's reader sees for each field name a schema or a service uses, when the form says nothing
#: else; any other name is shown in words (`due_at` as "Due at").
LABELS = {
    "assigned_to": "Assignee",
    "assignment_group": "Group",
    "affected_cis": "Affected CIs",
    "body": "Comment",
    "internal": "Work note",
    "priority_reason": "Reason for the priority override",
    "requester": "Caller (requester)",
    "resolution_code": "Resolution code",
    "resolution_notes": "Resolution notes",
    "reason": "Reason to reopen",
    "display_name": "Name",
    "expires_in_days": "Expires after (days)",
    "current_password": "Current password",
    "new_password": "New password",
    "confirm_password": "New password again",
    "scope": "Scope",
    "scopes": "Scope",
    "priority": "Priority",
}

#: Pydantic's error types in plain words; `{label}` is the field's label, the rest come from the error.
_PLAIN = {
    "missing": "Enter the {label_lower}.",
    "string_too_long": "{label} can be at most {max_length} characters long.",
    "string_pattern_mismatch": "{label} contains characters that are not allowed (such as NUL).",
    "string_type": "{label} must be text.",
    "enum": "{label}: choose {choices}.",
    "literal_error": "{label}: choose {choices}.",
    "bool_type": "{label} must be yes or no; “{input}” is neither.",
    "bool_parsing": "{label} must be yes or no; “{input}” is neither.",
    "required_with": "Enter the {label_lower}: it is needed when the {other} is set.",
    "int_parsing": "{label} must be a whole number.",
    "int_type": "{label} must be a whole number.",
    "greater_than_equal": "{label} must be at least {ge}.",
    "greater_than": "{label} must be more than {gt}.",
    "less_than_equal": "{label} must be at most {le}.",
    "less_than": "{label} must be less than {lt}.",
    "too_long": "{label} can have at most {max_length} entries.",
    "uuid_parsing": "{label} is not a known record.",
    "extra_forbidden": "{label} is not part of this form.",
    "datetime_from_date_parsing": "{label} must be a date and time, such as 2026-11-23 09:30.",
    "datetime_parsing": "{label} must be a date and time, such as 2026-11-23 09:30.",
}


def words(value: Any) -> str:
    """A field name or stored value as people read it: "in_progress" -> "In progress"."""
    text = str(value).replace("_", " ")
    return text[:1].upper() + text[1:]


def label_of(name: str, labels: Mapping[str, str] | None = None) -> str:
    """The label a form shows for a field: the form's own, the shared one, or the name in words."""
    return (labels or {}).get(name) or LABELS.get(name) or words(name)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _plain(err: Mapping[str, Any], label: str, labels: Mapping[str, str] | None) -> str:
    kind = str(err.get("type", ""))
    ctx = dict(err.get("ctx") or {})
    if kind == "string_too_short":
        wanted = int(ctx.get("min_length", 1))
        if wanted <= 1:
            return f"Enter the {_lower(label)}."
        return f"{label} must be at least {wanted} characters long."
    template = _PLAIN.get(kind)
    if template is None:  # our own validators' messages (value_error, custom errors) are words already
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        if message.startswith("value is not a valid email address"):
            return f"{label} must be an email address, such as name@example.com."
        return _sentence(message)
    given = err.get("input")
    ctx["input"] = given if isinstance(given, str) and len(given) <= 40 else "this value"
    ctx["choices"] = str(ctx.get("expected", "one of the offered values")).replace("'", "").replace("_", " ")
    if "other" in ctx:
        ctx["other"] = _lower(label_of(str(ctx["other"]), labels))
    return template.format(label=label, label_lower=_lower(label), **ctx)


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def form_errors(
    error: ValidationError | VigilError,
    *,
    fields: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Every error of a refused form as {the form's field name: a plain sentence naming its label}, the
    first per field, so a page shows them all at once beside their fields. `fields` renames what the
    schema or service calls a field to the form's own input name (a service's "user" is the form's
    "assigned_to"); an error about no field in particular is under "form"."""
    fields = fields or {}
    out: dict[str, str] = {}
    if isinstance(error, ValidationError):
        for err in error.errors():
            loc = [str(p) for p in err.get("loc", ())]
            name = fields.get(loc[0], loc[0]) if loc else "form"
            label = label_of(name, labels)
            if len(loc) > 1 and loc[1].isdigit():  # one entry of a list (a tag, a CI)
                label = f"Entry {int(loc[1]) + 1} of {_lower(label)}"
            out.setdefault(name, _plain(err, label, labels))
        return out
    for item in error.errors or [{"field": "form", "message": error.detail}]:
        field = str(item.get("field") or "form")
        out.setdefault(fields.get(field, field), _sentence(str(item.get("message", ""))))
    return out
