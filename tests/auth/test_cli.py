"""`vigil user ...`, `vigil token ...` and `vigil --as`: bootstrap and manage identities from a terminal."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from tests.dbutil import fresh_database
from vigil import migrate
from vigil.auth import credentials
from vigil.auth import service as auth_service
from vigil.cli import app
from vigil.core.db import Database

runner = CliRunner()


def vigil(*args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=stdin, env={"COLUMNS": "200"})
    return result.exit_code, result.output


def test_users_tokens_and_acting_as(tmp_path: Path) -> None:
    with fresh_database("sqlite", tmp_path) as url:
        migrate.upgrade(url)
        db = ["--database-url", url]
        code, out = vigil(
            "user",
            "create",
            "--email",
            "root@example.com",
            "--role",
            "admin",
            "--password-stdin",
            *db,
            stdin="a strong passphrase\n",
        )
        assert code == 0 and "created root@example.com (admin)" in out and "shown once" not in out
        code, out = vigil("user", "create", "--email", "rita@example.com", "--name", "Rita", "--json", *db)
        created = json.loads(out)
        assert code == 0 and created["role"] == "requester" and len(created["password"]) >= 12
        with Database(url).unit_of_work() as s:
            rita = auth_service.resolve_user(s, "rita@example.com")
            assert credentials.check_password(created["password"], rita.password_hash)
        assert vigil("user", "create", "--email", "rita@example.com", *db)[0] == 1
        assert vigil("user", "set-role", "rita@example.com", "agent", *db) == (
            0,
            "rita@example.com is now agent\n",
        )
        code, out = vigil(
            "token", "create", "--user", "rita@example.com", "--name", "ci", "--scope", "write", "--json", *db
        )
        token = json.loads(out)
        assert code == 0 and token["token"].startswith("vgl_") and token["scopes"] == ["read", "write"]
        code, out = vigil("token", "list", "--user", "rita@example.com", *db)
        assert code == 0 and token["prefix"] in out and token["token"] not in out
        code, out = vigil("--as", "rita@example.com", "user", "create", "--email", "x@example.com", *db)
        assert code == 1 and "only administrators" in out, "--as applies that user's rights"
        assert vigil("user", "disable", "rita@example.com", *db) == (0, "disabled rita@example.com\n")
        with Database(url).unit_of_work() as s:
            assert auth_service.tokens.authenticate(s, token["token"]) is None, (
                "a disabled user's token stops"
            )
        assert vigil("user", "enable", "rita@example.com", *db) == (0, "enabled rita@example.com\n")
        code, out = vigil("user", "password", "rita@example.com", *db)
        assert code == 0 and "(shown once):" in out
        assert vigil("token", "revoke", token["id"], *db) == (0, f"revoked {token['id']}\n")
        with Database(url).unit_of_work() as s:
            assert auth_service.tokens.authenticate(s, token["token"]) is None
        assert vigil("token", "revoke", "not-a-uuid", *db)[0] == 1
        code, out = vigil("user", "list", "--json", *db)
        assert sorted(u["email"] for u in json.loads(out)) == ["rita@example.com", "root@example.com"]
