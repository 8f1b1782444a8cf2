"""Helpers shared by every CLI command: database selection, errors, JSON output."""

from __future__ import annotations

import json
from typing import Any, NoReturn

import typer
from pydantic_core import to_jsonable_python

from vigil.core.config import get_settings
from vigil.core.db import Database


def database_url(option: str | None) -> str:
    return option or get_settings().database_url


def get_db(url: str) -> Database:
    return Database(url)


def fail(message: str, code: int = 1) -> NoReturn:
    typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(to_jsonable_python(value), indent=2, sort_keys=True))
