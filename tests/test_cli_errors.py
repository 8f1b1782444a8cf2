"""The CLI as people meet it: one line per error (naming the flag they typed), JSON errors with --json,
--debug for the traceback, --version, help with real metavars, a list that fits 80 columns, one
timestamp format, the assign and update commands, a root that starts without the database tooling,
and `vigil.connect()` failing at connect time."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

import vigil
from tests.dbutil import BACKENDS, fresh_database
from vigil.cli import OWN, app
from vigil.incidents.library import Incidents
from vigil.version import __version__

runner = CliRunner()
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
VIGIL = str(Path(sys.executable).with_name("vigil"))


def run(*args: str, columns: int = 200) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": str(columns)})
    return result.exit_code, result.stdout, result.stderr


@contextmanager
def migrated(backend: str, tmp_path: Path) -> Iterator[list[str]]:
    """A migrated database with an admin, an agent and a requester; yields `--database-url URL`."""
    with fresh_database(backend, tmp_path) as url:
        db = ["--database-url", url]
        assert run("db", "upgrade", *db)[0] == 0
        for email, role in (
            ("admin@example.org", "admin"),
            ("bogdan.petrov.on.call.rotation@example.org", "agent"),
            ("rita@example.org", "requester"),
        ):
            code, out, err = run("user", "create", "--email", email, "--role", role, *db)
            assert code == 0, out + err
        yield db


def test_version() -> None:
    assert run("--version") == (0, f"vigil {__version__}\n", "")


def one_line_error(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed `vigil` for real (its entry point, not the test runner) and demand one line."""
    result = subprocess.run(
        [VIGIL, *args], capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}
    )
    assert result.returncode == 1, result
    assert result.stdout == "" and result.stderr.startswith("error: "), result
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr, result
    return result


def test_a_missing_unmigrated_or_unreachable_database_is_one_line_saying_what_to_run(tmp_path: Path) -> None:
    missing = tmp_path / "nothing-here.db"
    for command in (["incident", "list"], ["user", "list"], ["audit", "verify"], ["whoami"]):
        said = one_line_error([*command, "--database-url", f"sqlite:///{missing}"]).stderr
        assert f"there is no database at {missing}: run `vigil db upgrade`" in said
    assert not missing.exists()  # asking did not create an empty file
    said = one_line_error(["incident", "list"], env={"VIGIL_DATABASE_URL": f"sqlite:///{tmp_path}/no/dir.db"})
    assert f"the directory {tmp_path}/no does not exist" in said.stderr
    said = one_line_error(["incident", "list", "--database-url", "postgresql://nobody:secret@127.0.0.1:1/x"])
    assert "cannot open the database postgresql://nobody:***@127.0.0.1:1/x" in said.stderr
    assert "Connection refused" in said.stderr and "secret" not in said.stderr
    empty = tmp_path / "empty.db"
    empty.touch()
    said = one_line_error(["incident", "show", "INC-000001", "--database-url", f"sqlite:///{empty}"])
    assert "has no Vigil schema yet: run `vigil db upgrade`" in said.stderr
    said = one_line_error(["serve", "--port", "1", "--database-url", f"sqlite:///{empty}"])
    assert "or start with --migrate" in said.stderr


@pytest.mark.parametrize("backend", BACKENDS)
def test_errors_name_the_flag_typed_and_are_json_with_json(backend: str, tmp_path: Path) -> None:
    with migrated(backend, tmp_path) as db:
        assert run("incident", "create", "--title", "Disk full on db-7", *db)[0] == 0
        code, out, err = run("incident", "create", "--title", "x", "--group", "No such team", *db)
        assert (code, out) == (1, "") and err == "error: --group: unknown team 'No such team'\n"
        code, out, err = run("incident", "assign", "INC-000001", "rita@example.org", *db)
        assert code == 1 and err.startswith("error: ASSIGNEE: ") and "requester" in err
        code, out, err = run("incident", "resolve", "INC-000001", "--notes", " ", *db)
        assert code == 1 and err.startswith("error: --notes: ")

        code, out, err = run("incident", "create", "--title", "x", "--group", "No such team", "--json", *db)
        assert code == 1 and out == ""
        error = json.loads(err)["error"]
        assert error["status"] == 422 and error["title"] == "Invalid input"
        assert error["errors"] == [
            {"field": "assignment_group", "flag": "--group", "message": "unknown team 'No such team'"}
        ]
        code, out, err = run("incident", "show", "INC-000404", "--json", *db)
        assert code == 1 and out == "" and json.loads(err)["error"]["status"] == 404
        # A usage error (caught before the command runs) is JSON too, and exits 2 as usage errors do.
        code, out, err = run("incident", "create", "--title", "x", "--impact", "enormous", "--json", *db)
        assert code == 2 and out == ""
        error = json.loads(err)["error"]
        assert error["errors"][0]["flag"] == "--impact" and "'enormous' is not one of" in error["message"]
        code, out, err = run("incident", "list", "--limit", "0", "--json", *db)
        assert code == 2 and json.loads(err)["error"]["errors"][0]["flag"] == "--limit"


def test_an_unexpected_error_is_one_line_and_debug_shows_the_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with migrated("sqlite", tmp_path) as db:

        def broken(self: Incidents, **filters: object) -> None:
            raise RuntimeError("the disk caught fire")

        monkeypatch.setattr(Incidents, "list", broken)
        code, out, err = run("incident", "list", *db)
        assert code == 1 and out == ""
        assert err == (
            "error: unexpected RuntimeError: the disk caught fire "
            "(run again with --debug for the traceback, and report it)\n"
        )
        result = runner.invoke(app, ["--debug", "incident", "list", *db])
        assert isinstance(result.exception, RuntimeError)  # not swallowed: the traceback is shown


def _commands(prefix: list[str]) -> Iterator[list[str]]:
    """Every command path below `prefix`, read from the help pages themselves."""
    code, out, _ = run(*prefix, "--help")
    assert code == 0, out
    yield prefix
    if "Commands" not in out:
        return
    listing = out.split("Commands", 1)[1]
    for name in re.findall(r"^│ (\w[\w-]*) ", listing, flags=re.MULTILINE):
        yield from _commands([*prefix, name])


def test_help_shows_metavars_and_choices_not_python_types() -> None:
    seen = list(_commands([]))
    assert len(seen) > 40 and ["incident", "assign"] in seen and ["db", "upgrade"] in seen
    for path in seen:
        out = run(*path, "--help")[1]
        assert not re.search(r"<(str|int|float|uuid|path)>", out), (path, out)
    create = run("incident", "create", "--help")[1]
    assert re.search(r"--impact\s+<high\|medium\|low>", create)
    assert re.search(r"--assigned-to\s+EMAIL", create) and re.search(r"--database-url\s+URL", create)
    assert re.search(r"--code\s+<fixed\|workaround", run("incident", "resolve", "--help")[1])
    listing = run("--help")[1]
    for name in OWN:
        assert name in listing


@pytest.mark.parametrize("backend", BACKENDS)
def test_list_fits_80_columns_and_every_time_has_one_format(backend: str, tmp_path: Path) -> None:
    with migrated(backend, tmp_path) as db:
        title = "Checkout API returns 503 for a third of requests since the 14:05 deploy of cart-service"
        assert run("incident", "create", "--title", title, *db)[0] == 0
        agent = "bogdan.petrov.on.call.rotation@example.org"
        assert run("incident", "assign", "INC-000001", agent, *db)[0] == 0
        assert run("incident", "acknowledge", "INC-000001", *db)[0] == 0
        code, out, _ = run("incident", "list", *db, columns=80)
        assert code == 0 and "INC-000001" in out and "in_progress" in out
        assert max(len(line) for line in out.splitlines()) <= 80, out
        shown = json.loads(run("incident", "show", "INC-000001", "--json", *db)[1])
        for field in ("created_at", "updated_at", "acknowledged_at"):
            assert ISO.match(shown[field]), shown[field]
        assert shown["updated_at"] in out  # the table prints the same string as the JSON
        human = run("incident", "show", "INC-000001", *db)[1]
        assert f"created: {shown['created_at']}" in human
        timeline = run("incident", "timeline", "INC-000001", *db)[1]
        assert timeline.startswith(shown["created_at"])
        entries = json.loads(run("incident", "timeline", "INC-000001", "--json", *db)[1])
        assert all(ISO.match(e["at"]) for e in entries)


@pytest.mark.parametrize("backend", BACKENDS)
def test_assign_and_update_commands(backend: str, tmp_path: Path) -> None:
    with migrated(backend, tmp_path) as db:
        assert run("team", "create", "Storage", *db)[0] == 0
        assert run("incident", "create", "--title", "NFS stale handles", *db)[0] == 0
        code, out, err = run("incident", "assign", "INC-000001", "me", "--json", *db)
        assert code == 0, err
        assert json.loads(out)["assigned_to"]["email"] == "admin@example.org"
        code, out, err = run("incident", "assign", "INC-000001", "none", "--group", "Storage", "--json", *db)
        made = json.loads(out)
        assert made["assigned_to"] is None and made["assignment_group"]["name"] == "Storage"
        code, out, err = run("incident", "assign", "INC-000001", *db)
        assert code == 1 and "say whom to assign" in err
        code, out, err = run(
            "incident", "update", "INC-000001", "--title", "NFS stale file handles on web-3", "--urgency",
            "high", "--tag", "nfs", "--tag", "web", "--version", str(made["version"]), "--json", *db,
        )  # fmt: skip
        assert code == 0, err
        updated = json.loads(out)
        assert updated["title"] == "NFS stale file handles on web-3" and updated["tags"] == ["nfs", "web"]
        assert updated["urgency"] == "high"
        code, out, err = run("incident", "update", "INC-000001", "--no-tags", "--version", "1", *db)
        assert code == 1 and "has changed since you read it" in err  # a stale version is refused
        code, out, err = run("incident", "update", "INC-000001", "--no-tags", "--json", *db)
        assert code == 0 and json.loads(out)["tags"] == []
        code, out, err = run("incident", "update", "INC-000001", *db)
        assert code == 1 and "nothing to change" in err


def test_the_root_and_its_help_load_no_database_or_server_code() -> None:
    """`vigil --help` starts fast because it imports only Typer and the domains' declarations
    (bench/cli_startup.py measures the time)."""
    code = (
        "import sys\n"
        "from vigil.cli import app\n"
        "try:\n"
        "    app(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = {'sqlalchemy', 'fastapi', 'alembic', 'pydantic', 'httpx', 'argon2'} & set(sys.modules)\n"
        "assert not heavy, heavy\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "incident" in result.stdout and "serve" in result.stdout


def test_connect_fails_at_connect_with_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(vigil.Unavailable, match="Connection refused"):
        vigil.connect("postgresql://nobody@127.0.0.1:1/x")
    with pytest.raises(vigil.Unavailable, match="does not exist"):
        vigil.connect(f"sqlite:///{tmp_path}/no/such/dir.db")
    with pytest.raises(vigil.Unavailable, match=r"no database at .*: run `vigil db upgrade`"):
        vigil.connect(f"sqlite:///{tmp_path}/absent.db", migrate=False)
    (tmp_path / "empty.db").touch()
    with pytest.raises(vigil.Unavailable, match="no Vigil schema yet.*migrate=True"):
        vigil.connect(f"sqlite:///{tmp_path}/empty.db", migrate=False)
    with pytest.raises(vigil.Unavailable, match="cannot reach"):
        vigil.connect("http://127.0.0.1:1", token="vgl_x", retries=0)
    with vigil.connect(f"sqlite:///{tmp_path}/new.db") as v:  # migrating creates it
        assert v.users.me().role == "admin"
