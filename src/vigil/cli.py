"""`vigil`: the command line's root. It names every command without importing it, so `vigil --help`
starts in a fraction of a second; a command's module (and the database tooling) loads when it runs.

Every command's errors end the same way: one line on stderr saying what is wrong and what to do (JSON
with `--json`), exit status 1; `vigil --debug ...` shows the traceback instead.
"""

from __future__ import annotations

import copy
import json
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer._click import Context, HelpFormatter  # Typer vendors Click: its classes are these
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from vigil import domains
from vigil.core import registry
from vigil.version import __version__

#: The CLI's own commands ("vigil.cli_commands:app"), with the line `vigil --help` shows for each.
OWN = {
    "serve": "Serve the API and the web UI, and run background jobs unless --no-worker.",
    "worker": "Run background jobs and periodic tasks until interrupted.",
    "demo": "Load realistic demo data: people, teams, CIs and months of incidents.",
    "db": "Database schema migrations.",
    "login": "Use a Vigil server from this CLI (keeps the token in your config directory).",
    "logout": "Forget the server and token `vigil login` kept.",
    "whoami": "Where commands go (a server, or the local database) and whom they act as.",
}
OWN_PATH = "vigil.cli_commands:app"
#: Keys of the root context's `meta` that `vigil.cli_support` reads (its JSON_META and DEBUG_META).
JSON_META = "vigil.json"
DEBUG_META = "vigil.debug"
LISTING_META = "vigil.listing"

#: A metavar for each option name, so help reads `--assigned-to EMAIL`, not `<str>`; by type otherwise.
METAVARS = {
    "database": "URL",
    "url": "URL",
    "assigned_to": "EMAIL",
    "user": "EMAIL",
    "email": "EMAIL",
    "as_email": "EMAIL",
    "group": "TEAM",
    "team": "TEAM",
    "ci": "CI",
    "tag": "TAG",
    "category": "NAME",
    "name": "NAME",
    "cursor": "CURSOR",
    "version": "N",
    "comment": "ID",
    "output": "PATH",
    "host": "ADDRESS",
    "port": "PORT",
    "token": "TOKEN",
    "role": "ROLE",
}
TYPE_METAVARS = {"integer": "N", "float": "NUMBER", "uuid": "ID", "path": "PATH", "file": "FILE"}


class _Unlabelled:
    """A parameter type whose help names no Python type: an argument's metavar says what it takes."""

    def get_metavar(self, *args: Any, **kwargs: Any) -> str:
        return ""


def _dress(command: Any) -> Any:
    """Give every option of `command` (and of its subcommands) a metavar that says what it takes, and
    every argument an upper-case name in place of Typer's `<str>`."""
    for param in command.params:
        if isinstance(param, TyperArgument) and param.type.name != "choice":
            param.metavar = param.metavar or (param.name or "value").upper()
            if not isinstance(param.type, _Unlabelled):
                kind = copy.copy(param.type)  # a copy: Click's types (STRING, UUID) are shared instances
                kind.__class__ = type(f"Unlabelled{type(kind).__name__}", (_Unlabelled, type(kind)), {})
                param.type = kind
            continue
        if not isinstance(param, TyperOption) or param.is_flag or param.metavar is not None:
            continue
        if param.type.name == "choice":
            continue  # shown as its choices
        param.metavar = METAVARS.get(param.name or "") or TYPE_METAVARS.get(param.type.name, "TEXT")
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            _dress(sub)
    return command


def _lazy() -> dict[str, tuple[str, str]]:
    """Every command the root does not define itself: name -> (import path, one line of help)."""
    entries = {name: (OWN_PATH, help_) for name, help_ in OWN.items()}
    for domain in domains.register():  # reads the declarations only
        for name, path, help_ in domain.cli:
            entries[name] = (path, help_)
    return entries


class VigilGroup(TyperGroup):
    """The root group: lazy commands, `--json` errors for usage mistakes too, one-line failures."""

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *_lazy()]

    def get_command(self, ctx: Context, cmd_name: str) -> Any:
        own = super().get_command(ctx, cmd_name)
        if own is not None:
            return own
        entry = _lazy().get(cmd_name)
        if entry is None:
            return None
        path, help_ = entry
        if ctx.meta.get(LISTING_META):  # `vigil --help`: the line, not the module
            return TyperCommand(cmd_name, help=help_, short_help=help_)
        registry.resolve("vigil.cli_commands")  # gives every command its acting user and domains
        loaded = typer.main.get_command(registry.resolve(path))
        if path == OWN_PATH and isinstance(loaded, TyperGroup):
            found = loaded.get_command(ctx, cmd_name)
            if found is None:
                return None
            loaded = found
        return _dress(loaded)

    def format_help(self, ctx: Context, formatter: HelpFormatter) -> None:
        ctx.meta[LISTING_META] = True
        try:
            super().format_help(ctx, formatter)
        finally:
            ctx.meta.pop(LISTING_META, None)

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        if ctx.parent is None:
            ctx.meta[JSON_META] = "--json" in args
            ctx.meta[DEBUG_META] = "--debug" in args
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.TyperException, typer.Exit, typer.Abort):  # usage errors, exits: Typer shows them
            raise
        except Exception as exc:
            if ctx.meta.get(DEBUG_META):
                raise
            # Named, not imported: the failure path may load what `vigil --help` must not.
            registry.resolve("vigil.cli_support:explain")(exc)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        argv = list(sys.argv[1:] if args is None else args)
        if "--json" not in argv or not standalone_mode:
            return super().main(argv, prog_name, complete_var, standalone_mode, windows_expand_args, **extra)
        try:  # usage errors (a bad flag, a bad value) as JSON on stderr, like the command's own errors
            code = super().main(argv, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as exc:  # Click's exceptions (Typer vendors Click)
            message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
            error: dict[str, Any] = {"message": message, "status": 400, "title": "Usage error"}
            param = getattr(exc, "param", None)
            if isinstance(param, TyperOption | TyperArgument):
                flag = (
                    max(param.opts, key=len) if isinstance(param, TyperOption) else param.human_readable_name
                )
                error["errors"] = [{"field": param.name, "flag": flag, "message": message}]
            typer.echo(json.dumps({"error": error}, sort_keys=True), err=True)
            sys.exit(getattr(exc, "exit_code", 2))
        except typer.Abort:
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"vigil {__version__}")
        raise typer.Exit()


app = typer.Typer(cls=VigilGroup, no_args_is_help=True, pretty_exceptions_enable=False)


@app.callback()
def root(
    as_email: str = typer.Option(
        None,
        "--as",
        envvar="VIGIL_CLI_USER",
        metavar="EMAIL",
        help="Act as this user (email); default: the first administrator.",
    ),
    debug: bool = typer.Option(False, "--debug", help="On an error, show the full traceback."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show Vigil's version and exit."
    ),
) -> None:
    """Vigil: self-hosted ITIL 4 service management."""


def main() -> None:
    app()
