"""Running `vigil ...` in-process for CLI tests: `run` gives (exit code, output); `cli_db` is a migrated
database (SQLite, and PostgreSQL when configured) with an administrator, as the `--database-url` options.
tests/conftest.py loads this module as a plugin, so every test can take `cli_db`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.dbutil import BACKENDS, fresh_database
from vigil.cli import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.fixture(params=BACKENDS)
def cli_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    with fresh_database(request.param, tmp_path) as url:
        opts = ["--database-url", url]
        assert run("db", "upgrade", *opts)[0] == 0
        run("user", "create", "--email", "ops@example.com", "--role", "admin", "--no-password", *opts)
        yield opts
