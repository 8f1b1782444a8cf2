"""Helpers shared by every CLI command: database selection, the acting user, errors, JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session

from vigil.core import validation
from vigil.core.actor import Actor, Channel
from vigil.core.config import get_settings
from vigil.core.db import Database
from vigil.core.errors import VigilError

R = TypeVar("R")

DB_OPT = typer.Option(None, "--database-url", help="SQLAlchemy URL (VIGIL_DATABASE_URL).")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable JSON output.")


#: Who a command acts as, given the database session, the channel and `--as EMAIL` (or None).
ActorResolver = Callable[[Session, Channel, str | None], Actor]


class _State:
    """Set once by the root command: its options (`vigil --as EMAIL ...`) and, from identity, how to
    find the acting user (so this module, below every domain, needs none of them)."""

    as_email: str | None = None
    resolve_actor: ActorResolver | None = None
    #: Loads the domains' jobs and hooks before the first command's work (not at `vigil --help`).
    prepare: Callable[[], object] | None = None


state = _State()


def database_url(option: str | None) -> str:
    return option or get_settings().database_url


def get_db(url: str) -> Database:
    return Database(url)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(to_jsonable_python(value), indent=2, sort_keys=True))


def validation_message(exc: ValidationError) -> str:
    return validation.summary(exc)


def run(database: str | None, fn: Callable[[Session, Actor], R]) -> R:
    """One command, one unit of work, as `vigil --as` (or the first admin); errors exit 1 with the reason."""
    if state.prepare is not None:
        state.prepare()
    try:
        with get_db(database_url(database)).unit_of_work() as session:
            if state.resolve_actor is None:
                raise RuntimeError("vigil.cli sets cli_support.state.resolve_actor at import")
            return fn(session, state.resolve_actor(session, Channel.CLI, state.as_email))
    except VigilError as exc:
        fail(exc.detail)
    except ValidationError as exc:
        fail(validation_message(exc))


def validated(model: Any, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fail(validation_message(exc))
