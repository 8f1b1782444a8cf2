"""`vigil` CLI: db commands, incident commands with --json, errors exit non-zero, serve refuses non-loopback."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import delete
from typer.testing import CliRunner

from tests.dbutil import BACKENDS, fresh_database
from tests.procs import vigil_serve
from vigil.cli import app
from vigil.cli_commands import is_loopback
from vigil.core.db import Database
from vigil.core.jobs.models import PeriodicSchedule
from vigil.incidents.settings import get_incident_settings

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    return result.exit_code, result.output


@pytest.mark.parametrize("backend", BACKENDS)
def test_db_and_incident_commands(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        db = ["--database-url", url]
        code, out = run("db", "current", *db)
        assert code == 0 and "current: base" in out and "upgrade needed" in out
        assert run("db", "upgrade", *db)[0] == 0
        assert "(up to date)" in run("db", "current", *db)[1]
        code, out = run("incident", "create", "--title", "nobody to act as", *db)
        assert code == 1 and "vigil user create" in out
        code, out = run("user", "create", "--email", "Admin@Vigil.example", "--role", "admin", *db)
        assert code == 0 and "created admin@vigil.example (admin)" in out and "password (shown once):" in out
        code, out = run(
            "incident",
            "create",
            "--title",
            "Redis out of memory",
            "--impact",
            "high",
            "--urgency",
            "medium",
            "--category",
            "Database",
            "--tag",
            "redis",
            "--json",
            *db,
        )
        assert code == 0, out
        created = json.loads(out)
        assert (
            created["number"] == "INC-000001" and created["priority"] == "P2" and created["tags"] == ["redis"]
        )
        code, out = run("incident", "list", *db)
        assert code == 0 and "INC-000001" in out and "Redis out of memory" in out
        code, out = run("incident", "resolve", "INC-000001", "--notes", "raised maxmemory", "--json", *db)
        assert code == 0 and json.loads(out)["status"] == "resolved"
        code, out = run("incident", "show", "INC-000001", *db)
        assert code == 0 and "raised maxmemory" in out and "close, reopen" in out
        code, out = run("incident", "list", "--status", "resolved", "--json", *db)
        assert [i["number"] for i in json.loads(out)["items"]] == ["INC-000001"]
        code, out = run("incident", "acknowledge", "INC-000001", *db)
        assert code == 1 and "cannot acknowledge INC-000001: it is resolved" in out
        code, out = run("incident", "create", "--title", "x", "--impact", "enormous", *db)
        assert code == 2 and "Invalid value for '--impact'" in out  # a usage error, before any work
        code, out = run("incident", "show", "INC-000404", *db)
        assert code == 1 and "not found" in out
        assert run("db", "downgrade", "base", *db)[0] == 0


@pytest.mark.parametrize("backend", BACKENDS)
def test_demo_loads_realistic_data_once(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        code, out = run("demo", "--incidents", "40", "--days", "30", "--database-url", url)
        assert code == 0 and "40 incidents loaded" in out, out
        code, out = run("incident", "list", "--limit", "200", "--json", "--database-url", url)
        items = json.loads(out)["items"]
        assert len(items) == 40
        assert len({i["status"] for i in items}) >= 3 and len({i["category"] for i in items}) >= 3
        assert len({i["priority"] for i in items}) >= 3
        assert any(i["assignment_group"] for i in items)
        assert "already loaded" in run("demo", "--database-url", url)[1]


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert (
        not is_loopback("0.0.0.0") and not is_loopback("10.1.2.3") and not is_loopback("no.such.host.invalid")
    )


def test_worker_once_closes_long_resolved_incidents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        db = ["--database-url", url]
        assert run("db", "upgrade", *db)[0] == 0
        run("user", "create", "--email", "ops@example.com", "--role", "admin", "--no-password", *db)
        run("incident", "create", "--title", "stale", *db)
        run("incident", "resolve", "INC-000001", "--notes", "done", *db)
        code, out = run("worker", "--once", *db)
        assert code == 0 and "incidents.auto_close" in out
        assert json.loads(run("incident", "show", "INC-000001", "--json", *db)[1])["status"] == "resolved"
        monkeypatch.setenv("VIGIL_AUTO_CLOSE_AFTER_HOURS", "0.0000001")
        get_incident_settings.cache_clear()
        try:
            with Database(url).unit_of_work() as s:  # make the schedule due again without waiting 15 minutes
                s.execute(delete(PeriodicSchedule))
            assert run("worker", "--once", *db)[0] == 0
        finally:
            monkeypatch.delenv("VIGIL_AUTO_CLOSE_AFTER_HOURS")
            get_incident_settings.cache_clear()
        assert json.loads(run("incident", "show", "INC-000001", "--json", *db)[1])["status"] == "closed"


@pytest.mark.parametrize("backend", BACKENDS)
def test_serve_and_worker_on_a_database_that_is_not_migrated_say_what_to_run(
    backend: str, tmp_path: Path
) -> None:
    runner = CliRunner()
    with fresh_database(backend, tmp_path) as url:
        for command in (["serve", "--port", "1"], ["worker", "--once"]):
            result = runner.invoke(app, [*command, "--database-url", url])
            assert result.exit_code == 1, result.output
            # SQLite: the file does not exist yet (and is not created); PostgreSQL: an empty database
            said = "there is no database at" if backend == "sqlite" else "has no Vigil schema yet"
            assert said in result.output and "vigil db upgrade" in result.output, result.output
            assert "--migrate" in result.output and "Traceback" not in result.output
            assert len(result.output.strip().splitlines()) == 1
        migrated = runner.invoke(app, ["worker", "--once", "--migrate", "--database-url", url])
        assert migrated.exit_code == 0, migrated.output
        assert "migrated from empty to" in migrated.output and "ran " in migrated.output
        runner.invoke(app, ["db", "downgrade", "0011", "--database-url", url])
        behind = runner.invoke(app, ["worker", "--once", "--database-url", url])
        assert behind.exit_code == 1 and "is at schema revision 0011" in behind.output


@pytest.mark.parametrize("backend", BACKENDS)
def test_serve_runs_the_background_jobs_too(
    backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One command runs everything: a resolved incident past the auto-close delay is closed by the worker
    inside `vigil serve`, with no `vigil worker` started."""
    with fresh_database(backend, tmp_path) as url:
        db = ["--database-url", url]
        runner = CliRunner()
        assert runner.invoke(app, ["db", "upgrade", *db]).exit_code == 0
        runner.invoke(
            app, ["user", "create", "--email", "ops@example.com", "--role", "admin", "--no-password", *db]
        )
        runner.invoke(app, ["incident", "create", "--title", "stale", *db])
        runner.invoke(app, ["incident", "resolve", "INC-000001", "--notes", "done", *db])
        with vigil_serve(
            url, VIGIL_AUTO_CLOSE_AFTER_HOURS="0.0000001", VIGIL_WORKER_POLL_SECONDS="0.2"
        ) as server:
            assert any(line.startswith("worker: running in this process") for line in server.output)
            status = ""
            for _ in range(100):  # the worker's first poll runs the due auto-close at once
                shown = runner.invoke(app, ["incident", "show", "INC-000001", "--json", *db])
                status = json.loads(shown.output)["status"]
                if status == "closed":
                    break
                time.sleep(0.1)
            assert status == "closed"
