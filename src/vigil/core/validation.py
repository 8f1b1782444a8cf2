"""Pydantic validation errors as (field, message) pairs in plain words, the same for every face."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import ValidationError

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
