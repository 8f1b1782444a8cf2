"""The CLI against a real server: VIGIL_URL + VIGIL_TOKEN, or `vigil login URL` (a 0600 file in the
config directory); commands act as the token's owner, and errors exit 1 with the reason, as locally."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from typer.testing import CliRunner

from tests.library.conftest import ADMIN, mint_token, unique
from tests.procs import Server
from vigil.cli import app

runner = CliRunner()


def cli(*args: str, input: str | None = None, **env: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args), input=input, env={"COLUMNS": "200", **env})
    return result.exit_code, result.output


def test_incident_commands_over_http_with_env(database: str, server: Server, tmp_path: Path) -> None:
    v = {"VIGIL_URL": server.url, "XDG_CONFIG_HOME": str(tmp_path)}
    code, out = cli("incident", "list", **v)
    assert code == 1 and f"no API token for {server.url}" in out
    agent = f"agent-{unique()}@example.com"
    assert (
        cli(
            "user", "create", "--email", agent, "--role", "agent", "--no-password", "--database-url", database
        )[0]
        == 0
    )
    v["VIGIL_TOKEN"] = mint_token(database, agent)
    word = unique("cli")
    code, out = cli("incident", "create", "--title", f"{word} disk full", "--impact", "high", "--json", **v)
    assert code == 0, out
    made = json.loads(out)
    number = made["number"]
    assert made["requester"]["email"] == agent  # acted as the token's owner, on the server
    code, out = cli("incident", "list", "--q", word, **v)
    assert code == 0 and number in out and "disk full" in out
    code, out = cli("incident", "acknowledge", number, "--note", "on it", "--json", **v)
    assert code == 0 and json.loads(out)["status"] == "in_progress"
    code, out = cli("incident", "hold", number, "--version", str(made["version"]), **v)
    assert code == 1 and f"{number} has changed since you read it" in out
    assert cli("incident", "comment", number, "freed 20 GB", **v) == (0, f"comment added to {number}\n")
    code, out = cli("incident", "resolve", number, "--notes", "rotated logs", **v)
    assert code == 0 and "rotated logs" in out and "close, reopen" in out
    code, out = cli("incident", "acknowledge", number, **v)
    assert code == 1 and f"cannot acknowledge {number}: it is resolved" in out
    code, out = cli("incident", "timeline", number, **v)
    assert code == 0 and "freed 20 GB" in out and "incident.resolve" in out
    code, out = cli("incident", "show", "INC-999999", **v)
    assert code == 1 and "not found" in out
    code, out = cli("incident", "create", "--title", "x", "--impact", "enormous", **v)
    assert code == 2 and "Invalid value for '--impact'" in out
    code, out = cli("incident", "category", "add", unique("Cat"), **v)
    assert code == 1 and "error:" in out  # an agent may not manage categories
    assert "Other" in cli("incident", "category", "list", **v)[1]
    code, out = cli("--as", ADMIN, "incident", "list", **v)
    assert code == 1 and "--as" in out
    code, out = cli("token", "list", "--user", agent, **v)  # tokens are managed on the server's database
    assert code == 1 and f"you are using {server.url}" in out
    code, out = cli("token", "list", "--user", agent, "--database-url", database, **v)
    assert code == 0 and "contract" in out  # --database-url: the local database, whatever the login


def test_login_keeps_the_token_for_the_owner_only(database: str, server: Server, tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    code, out = cli("login", server.url, "--token", "vgl_wrong", **env)
    assert code == 1 and "cannot log in" in out and not (tmp_path / "vigil").exists()
    token = mint_token(database, ADMIN, "admin")
    code, out = cli("login", f"{server.url}/", input=f"{token}\n", **env)  # asked for, not echoed
    assert code == 0 and f"logged in to {server.url} as {ADMIN} (admin)" in out and token not in out
    kept = tmp_path / "vigil" / "login.json"
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600 and stat.S_IMODE(kept.parent.stat().st_mode) == 0o700
    assert json.loads(kept.read_text()) == {"url": server.url, "token": token}
    assert cli("whoami", **env) == (0, f"{ADMIN} (admin) on {server.url}\n")
    word = unique("login")
    assert cli("incident", "create", "--title", word, **env)[0] == 0
    code, out = cli("incident", "list", "--q", word, "--json", **env)
    assert code == 0 and [i["title"] for i in json.loads(out)["items"]] == [word]
    member = f"m-{unique()}@example.com"
    code, out = cli("user", "create", "--email", member, "--role", "agent", "--no-password", **env)
    assert code == 0 and f"created {member} (agent)" in out  # people and teams work remotely too
    team = unique("Team ")
    code, out = cli("team", "create", team, "--member", member, "--json", **env)
    assert code == 0 and [m["email"] for m in json.loads(out)["members"]] == [member]
    assert cli("team", "update", team, "--manager", member, **env)[0] == 0
    code, out = cli("team", "show", team, **env)
    assert code == 0 and f"(manager: {member})" in out
    assert cli("user", "set-role", member, "manager", **env) == (0, f"{member} is now manager\n")
    assert member in cli("user", "list", **env)[1]
    assert cli("logout", **env) == (0, f"logged out of {server.url}\n")
    assert not kept.exists() and cli("logout", **env) == (0, "not logged in\n")
    code, out = cli("login", "sqlite:///x.db", "--token", token, **env)
    assert code == 1 and "not a server URL" in out


def test_watch_link_attach_and_bulk_over_http(database: str, server: Server, tmp_path: Path) -> None:
    v = {
        "VIGIL_URL": server.url,
        "XDG_CONFIG_HOME": str(tmp_path),
        "VIGIL_TOKEN": mint_token(database, ADMIN),
    }
    numbers = []
    for title in ("Backups late", "Tape library jammed"):
        code, out = cli("incident", "create", "--title", f"{title} {unique()}", "--json", **v)
        assert code == 0, out
        numbers.append(json.loads(out)["number"])
    first, second = numbers
    code, out = cli("incident", "link", first, "caused_by", second, **v)
    assert code == 0 and f"{first} caused_by {second}" in out
    code, out = cli("incident", "links", second, **v)
    assert code == 0 and out.startswith(f"causes         {first}")
    log = tmp_path / "backup.txt"
    log.write_bytes(b"rsync: connection reset\n")
    code, out = cli("incident", "attach", first, str(log), "--json", **v)
    assert code == 0, out
    attachment = json.loads(out)["id"]
    saved = tmp_path / "copy.txt"
    assert cli("incident", "download", first, attachment, "-o", str(saved), **v)[0] == 0
    assert saved.read_bytes() == log.read_bytes()
    assert cli("incident", "watch", first, **v) == (0, f"{ADMIN} watches {first}\n")
    code, out = cli(
        "incident", "bulk", "comment", first, second, "INC-999999", "--body", "vendor called", **v
    )
    assert code == 1 and "2 done, 1 refused" in out and "INC-999999 not found" in out
    code, out = cli("incident", "bulk", "resolve", first, second, "--notes", "tape replaced", "--json", **v)
    assert code == 0 and json.loads(out)["succeeded"] == 2
