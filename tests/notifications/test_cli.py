"""`vigil notifications list/read` on a committed database, as a given user (`--as`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.dbutil import BACKENDS, fresh_database
from vigil import migrate
from vigil.auth import service as auth_service
from vigil.auth.roles import Role
from vigil.auth.schemas import UserCreate
from vigil.cli import app
from vigil.core.actor import Channel
from vigil.core.db import Database
from vigil.notifications import service
from vigil.notifications.models import Kind

runner = CliRunner()


def _seed(url: str) -> list[str]:
    """An agent with three notifications (ids returned, oldest first) and a colleague with one."""
    migrate.upgrade(url)
    db = Database(url)
    try:
        with db.unit_of_work() as s:
            system = auth_service.system_actor(Channel.CLI)
            ids = []
            for email in ("agent@example.com", "colleague@example.com"):
                user = auth_service.create_user(
                    session=s, actor=system, data=UserCreate(email=email, display_name=email, role=Role.AGENT)
                )
                count = 3 if email.startswith("agent") else 1
                for i in range(count):
                    (n,) = service.deliver(
                        session=s, user_ids=[user.id], kind=Kind.ASSIGNED, title=f"{email} {i}"
                    )
                    ids.append(str(n.id))
        return ids
    finally:
        db.dispose()


def run(url: str, *args: str, who: str = "agent@example.com") -> tuple[int, str]:
    result = runner.invoke(
        app, ["--as", who, "notifications", *args, "--database-url", url], env={"COLUMNS": "200"}
    )
    return result.exit_code, result.output


@pytest.mark.parametrize("backend", BACKENDS)
def test_list_and_read(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        ids = _seed(url)
        code, out = run(url, "list", "--json")
        assert code == 0, out
        listed = json.loads(out)["items"]
        assert {i["id"] for i in listed} == set(ids[:3]) and all(i["read_at"] is None for i in listed)
        code, out = run(url, "read", ids[0], "--json")
        assert code == 0 and json.loads(out)["read_at"] is not None
        code, out = run(url, "list", "--unread", "--json")
        assert {i["id"] for i in json.loads(out)["items"]} == set(ids[1:3])
        code, out = run(url, "list")
        assert code == 0 and "agent@example.com 2" in out and ids[2] in out
        code, out = run(url, "read", ids[3])  # the colleague's
        assert code == 1 and "no notification" in out
        code, out = run(url, "read", "--all")
        assert code == 0 and "marked 2 notifications read" in out
        assert run(url, "list", "--unread")[1].strip() == "no unread notifications"
        code, out = run(url, "read")
        assert code == 1 and "give a notification ID or --all" in out
        code, out = run(url, "read", "nope")
        assert code == 1 and "not a notification id" in out
        code, out = run(url, "list", "--unread", "--json", who="colleague@example.com")
        assert [i["id"] for i in json.loads(out)["items"]] == [ids[3]]
