"""Helpers shared by every CLI command: local database or remote server, the acting user, errors (one
line naming the flag the user typed, or JSON with `--json`), JSON output and timestamps, and the login
`vigil login URL` stores."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import httpx
import platformdirs
import typer
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from typer._click.globals import get_current_context  # Typer vendors Click; this is its context stack
from typer.core import TyperArgument, TyperOption

from vigil import migrate
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
#: The incident a command works on, as its help shows it.
IncidentArg = Annotated[str, typer.Argument(metavar="INCIDENT", help="Its number (INC-000123) or UUID.")]


#: Who a command acts as, given the database session, the channel and `--as EMAIL` (or None).
ActorResolver = Callable[[Session, Channel, str | None], Actor]


def _root_option(name: str) -> Any:
    """A root option (`vigil --as EMAIL --debug ...`) of the running command, None outside one."""
    ctx = get_current_context(silent=True)
    return ctx.find_root().params.get(name) if ctx is not None else None


def _meta(key: str) -> Any:
    ctx = get_current_context(silent=True)
    return ctx.meta.get(key) if ctx is not None else None


class _State:
    """The root command's options (`vigil --as EMAIL ...`), read from the running command's context, and,
    set by `vigil.cli_commands` from identity, how to find the acting user (so this module, below every
    domain, needs none of them)."""

    resolve_actor: ActorResolver | None = None
    #: The local database the running command opened (for explaining its errors).
    url: str | None = None
    #: Loads the domains' jobs and hooks before the first command's work (not at `vigil --help`).
    prepare: Callable[[], object] | None = None

    @property
    def as_email(self) -> str | None:
        value = _root_option("as_email")
        return str(value) if value else os.environ.get("VIGIL_CLI_USER") or None

    @property
    def json_errors(self) -> bool:
        """`--json` anywhere on the command line: errors are JSON too (on stderr)."""
        return bool(_meta(JSON_META))


#: Set by the root group (`vigil.cli`) from the raw arguments, before any option is parsed.
JSON_META = "vigil.json"
DEBUG_META = "vigil.debug"

state = _State()


def database_url(option: str | None) -> str:
    return option or get_settings().database_url


def get_db(url: str) -> Database:
    return Database(url)


def fail(message: str, code: int = 1, *, error: VigilError | None = None) -> NoReturn:
    """Stop the command: `error: <message>` on stderr in red, or with `--json` a JSON object there
    (`{"error": {"message", "status", "title", "type", "errors": [{"field", "flag", "message"}]}}`)."""
    if state.json_errors:
        body: dict[str, Any] = {"message": message}
        if error is not None:
            body |= {"status": error.status, "title": error.title, "type": error.type}
            body["errors"] = [{**item, "flag": flag_for(item.get("field"))} for item in error.errors]
        typer.echo(json.dumps({"error": body}, sort_keys=True), err=True)
    else:
        typer.secho(f"error: {message}", err=True, fg=typer.colors.RED)
    raise typer.Exit(code)


#: What the services and schemas call a field, as the commands' options are named where they differ.
FLAG_NAMES = {
    "resolution_code": "code",
    "resolution_notes": "notes",
    "assignment_group": "group",
    "affected_cis": "ci",
    "tags": "tag",
    "user": "assigned_to",
    "assigned_to": "assignee",
    "targets": "target",
}


def flag_for(field: str | None) -> str | None:
    """The option (`--code`) or argument (`BODY`) of the running command that sets `field`
    (`resolution_code`), or None when the command has none."""
    ctx = get_current_context(silent=True)
    if ctx is None or not field:
        return None
    top = field.split(".")[0]
    params = {p.name: p for p in ctx.command.params}
    for name in (FLAG_NAMES.get(top), top):
        param = params.get(name) if name else None
        if isinstance(param, TyperOption):
            return max(param.opts, key=len)
        if isinstance(param, TyperArgument):
            return (param.metavar or param.name or field).upper()
    return None


def fail_on(error: VigilError) -> NoReturn:
    """A refused call, each field at fault named by the flag the user typed: `--code: Input should be ...`."""
    items = error.errors
    if not items:
        fail(error.detail, error=error)
    parts = []
    for item in items:
        field, message = item.get("field"), str(item.get("message", ""))
        flag = flag_for(field)
        # A flag setting a structure names the part at fault: `--target P1.response: ...`.
        rest = [p for p in str(field).split(".")[1:] if not p.isdigit()] if flag else []
        if rest:
            flag = f"{flag} {'.'.join(rest)}"
        parts.append(f"{flag or field}: {message}" if (flag or field) and field != "form" else message)
    fail("; ".join(parts), error=error)


def explain(exc: Exception, url: str | None = None) -> NoReturn:
    """An error no command expected, on one line with what to do (`--debug` shows the traceback);
    a database error is checked against the database the command opened last."""
    url = url or state.url
    if isinstance(exc, VigilError):
        fail_on(exc)
    if isinstance(exc, SQLAlchemyError):
        found = migrate.database_problem(url) if url else None
        fail(found or f"database error: {migrate.reason(exc)} (run again with --debug for the traceback)")
    if isinstance(exc, httpx.HTTPError):
        fail(f"cannot reach the server: {exc} (run again with --debug for the traceback)")
    if isinstance(exc, OSError):
        fail(f"{exc.strerror or exc}{f': {exc.filename}' if exc.filename else ''}")
    fail(f"unexpected {type(exc).__name__}: {exc} (run again with --debug for the traceback, and report it)")


def timestamp(value: datetime) -> str:
    """The one format every command prints a time in, for people and in JSON: ISO 8601 in UTC to the
    second, `2026-12-06T19:10:03Z`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _timestamps(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _timestamps(value.model_dump(mode="python"))
    if isinstance(value, datetime):
        return timestamp(value)
    if isinstance(value, Mapping):
        return {k: _timestamps(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_timestamps(v) for v in value]
    return value


def print_json(value: Any) -> None:
    typer.echo(json.dumps(to_jsonable_python(_timestamps(value)), indent=2, sort_keys=True))


def validation_message(exc: ValidationError) -> str:
    return validation.summary(exc)


def ready(database: str | None) -> str:
    """The local database's URL, once it is one this Vigil can work on; otherwise the command stops
    with one line saying what is wrong and what to run."""
    url = database_url(database)
    problem = migrate.database_problem(url)
    if problem is not None:
        fail(problem)
    state.url = url
    return url


def run(database: str | None, fn: Callable[[Session, Actor], R]) -> R:
    """One command, one unit of work, as `vigil --as` (or the first admin); errors exit 1 with the reason.
    For commands that work on a local database only (tokens, passwords, the audit log)."""
    server = remote_url(database)
    if server is not None:
        fail(f"this command works on a local database only; you are using {server} (pass --database-url)")
    url = ready(database)
    if state.prepare is not None:
        state.prepare()
    try:
        with get_db(url).unit_of_work() as session:
            if state.resolve_actor is None:
                raise RuntimeError("vigil.cli_commands sets cli_support.state.resolve_actor at import")
            return fn(session, state.resolve_actor(session, Channel.CLI, state.as_email))
    except VigilError as exc:
        fail_on(exc)
    except ValidationError as exc:
        fail(validation_message(exc))
    except SQLAlchemyError as exc:
        explain(exc, url)


def validated(model: Any, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fail_on(
            VigilError(
                validation_message(exc),
                errors=[
                    {"field": field, "message": message} for field, message in validation.field_errors(exc)
                ],
            )
        )


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
        url = ready(database)
        if state.prepare is not None:
            state.prepare()
        resolve = state.resolve_actor
        if resolve is None:
            raise RuntimeError("vigil.cli_commands sets cli_support.state.resolve_actor at import")
        as_email = state.as_email
        transport = LocalTransport(get_db(url), lambda session: resolve(session, Channel.CLI, as_email))
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
        fail_on(exc)
    except SQLAlchemyError as exc:
        explain(exc, None if remote_url(database) else database_url(database))
