"""Helpers shared by every CLI command: local database or remote server, the acting user, errors, JSON
output, and the login `vigil login URL` stores."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import platformdirs
import typer
from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy.orm import Session

from vigil.core import validation
from vigil.core.actor import Actor, Channel
from vigil.core.config import get_settings
from vigil.core.db import Database
from vigil.core.errors import VigilError
from vigil.core.facade import LocalTransport, Transport
from vigil.remote import HttpTransport

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
    """One command, one unit of work, as `vigil --as` (or the first admin); errors exit 1 with the reason.
    For commands that work on a local database only (tokens, passwords, the audit log)."""
    server = remote_url(database)
    if server is not None:
        fail(f"this command works on a local database only; you are using {server} (pass --database-url)")
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


# Remote mode: VIGIL_URL + VIGIL_TOKEN, or the login `vigil login URL` stored, like `gh` or `glab`.
URL_ENV = "VIGIL_URL"
TOKEN_ENV = "VIGIL_TOKEN"


@dataclass(frozen=True)
class Login:
    url: str
    token: str


def login_file() -> Path:
    """Where `vigil login` keeps the server and token: the user's config directory ($XDG_CONFIG_HOME)."""
    return Path(platformdirs.user_config_dir("vigil", appauthor=False)) / "login.json"


def save_login(login: Login) -> Path:
    """Store the login readable by its owner only (0600, in a 0700 directory), replacing any other."""
    path = login_file()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump({"url": login.url, "token": login.token}, out)
    os.chmod(partial, 0o600)
    os.replace(partial, path)
    return path


def stored_login() -> Login | None:
    try:
        data = json.loads(login_file().read_text())
        return Login(url=str(data["url"]), token=str(data["token"]))
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError):
        fail(f"{login_file()} is not a login Vigil wrote; run `vigil logout` and `vigil login URL` again")


def forget_login() -> Login | None:
    """Remove the stored login; the one removed, if any."""
    login = stored_login()
    login_file().unlink(missing_ok=True)
    return login


def remote_url(database: str | None) -> str | None:
    """The server commands go to, or None for the local database: `--database-url` always means local."""
    if database:
        return None
    stored = stored_login()
    return os.environ.get(URL_ENV) or (stored.url if stored else None)


def remote_login(database: str | None) -> Login | None:
    """The server and token to use, or None for local database mode."""
    url = remote_url(database)
    if url is None:
        return None
    stored = stored_login()
    token = os.environ.get(TOKEN_ENV) or (stored.token if stored and same_server(stored.url, url) else None)
    if not token:
        fail(f"no API token for {url}: set {TOKEN_ENV} or run `vigil login {url}`")
    return Login(url=url, token=token)


def same_server(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


@contextmanager
def connection(database: str | None) -> Iterator[Transport]:
    """The library transport a command works through: HTTP to the configured server (as the token's
    owner), else the local database (as `vigil --as`, or the first administrator)."""
    login = remote_login(database)
    transport: Transport
    if login is not None:
        if state.as_email:
            fail("--as (VIGIL_CLI_USER) is for a local database; on a server you act as your token's owner")
        transport = HttpTransport(login.url, login.token)
    else:
        if state.prepare is not None:
            state.prepare()
        resolve = state.resolve_actor
        if resolve is None:
            raise RuntimeError("vigil.cli sets cli_support.state.resolve_actor at import")
        transport = LocalTransport(
            get_db(database_url(database)), lambda session: resolve(session, Channel.CLI, state.as_email)
        )
    try:
        yield transport
    finally:
        transport.close()


def call(database: str | None, fn: Callable[[Transport], R]) -> R:
    """One command through the library facade, locally or on a server; errors exit 1 with the reason."""
    try:
        with connection(database) as transport:
            return fn(transport)
    except VigilError as exc:
        fail(exc.detail)
