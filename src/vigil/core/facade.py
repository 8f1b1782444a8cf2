"""What a domain's library facet needs from `vigil.connect(...)`: one call per unit of work, and
keyword arguments validated into the domain's schemas with the library's own exceptions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from vigil.core import validation
from vigil.core.actor import Actor
from vigil.core.errors import Invalid

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")


class Caller(Protocol):
    """Runs `fn` in one transaction as the connection's acting user (see `vigil.client.Vigil`)."""

    def call(self, fn: Callable[[Session, Actor], R]) -> R: ...


def parse(model: type[M], data: dict[str, Any], *, keep_none: bool = False) -> M:
    """Validate keyword arguments into a schema; None means "not given" unless `keep_none` (updates)."""
    try:
        return model.model_validate(data if keep_none else {k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        raise Invalid(validation.summary(exc)) from exc
