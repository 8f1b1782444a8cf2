"""`vigil user|team|token ...`: bootstrap and manage people, teams and API tokens from a terminal.

Users and teams go through the library facade, so they work on a server too (`vigil login`); passwords
and tokens are managed on the local database only (a token is made there, or on the account page)."""

from __future__ import annotations

import sys
import uuid

import typer
from pydantic import SecretStr
from sqlalchemy.orm import Session

from vigil.auth import credentials, service
from vigil.auth.library import Teams, Users
from vigil.auth.roles import Role
from vigil.auth.schemas import Scope, TeamRead, TokenCreate, TokenRead
from vigil.cli_support import DB_OPT, JSON_OPT, call, fail, print_json, run, validated
from vigil.core.actor import Actor

user_app = typer.Typer(
    help="People: create, list, change role, disable, set a password.", no_args_is_help=True
)
token_app = typer.Typer(help="Personal access tokens for the API.", no_args_is_help=True)


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """The password from standard input, or a generated one (then printed once)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n"), False
    return credentials.generate_password(), True


@user_app.command("create")
def user_create(
    email: str = typer.Option(..., "--email"),
    name: str = typer.Option(None, "--name", help="Display name (default: the part before @)."),
    role: Role = typer.Option(Role.REQUESTER, "--role"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    no_password: bool = typer.Option(
        False, "--no-password", help="Create an account that cannot log in yet."
    ),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Create a user. Without --password-stdin a password is generated and printed once."""
    password, generated = (None, False) if no_password else _read_password(password_stdin)
    fields = {
        "email": email,
        "display_name": name or email.split("@")[0],
        "role": role,
        "password": SecretStr(password) if password is not None else None,
    }
    user = call(database, lambda t: Users(t).create(**fields))
    if as_json:
        print_json({**user.model_dump(), **({"password": password} if generated else {})})
        return
    typer.echo(f"created {user.email} ({user.role})")
    if generated:
        typer.echo(f"password (shown once): {password}")


@user_app.command("list")
def user_list(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Active users."""
    users = call(database, lambda t: list(Users(t).iterate(limit=200)))
    if as_json:
        print_json(users)
        return
    for u in users:
        typer.echo(f"{u.email:40} {u.role:15} {u.display_name}")


@user_app.command("set-role")
def user_set_role(email: str, role: Role, database: str = DB_OPT) -> None:
    """Change a user's role."""
    call(database, lambda t: Users(t).update(email, role=role))
    typer.echo(f"{email} is now {role}")


def _set_active(email: str, active: bool, database: str | None) -> None:
    call(database, lambda t: Users(t).update(email, active=active))
    typer.echo(f"{'enabled' if active else 'disabled'} {email}")


@user_app.command("disable")
def user_disable(email: str, database: str = DB_OPT) -> None:
    """Disable a user: their sessions end and every token of theirs is revoked at once."""
    _set_active(email, False, database)


@user_app.command("enable")
def user_enable(email: str, database: str = DB_OPT) -> None:
    """Re-enable a disabled user (their revoked tokens stay revoked)."""
    _set_active(email, True, database)


@user_app.command("password")
def user_password(
    email: str,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input."
    ),
    database: str = DB_OPT,
) -> None:
    """Set a user's password (generated and printed once unless read from stdin); sessions end, tokens are revoked."""
    password, generated = _read_password(password_stdin)
    run(database, lambda s, a: service.set_password(session=s, actor=a, ref=email, new_password=password))
    typer.echo(f"password set for {email}" + (f" (shown once): {password}" if generated else ""))


@token_app.command("create")
def token_create(
    user: str = typer.Option(..., "--user", help="Email of the token's owner."),
    name: str = typer.Option(..., "--name"),
    scope: Scope = typer.Option(Scope.READ, "--scope"),
    days: int = typer.Option(90, "--days", min=0, help="Days until it expires; 0 for never."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Create a personal access token and print it once."""
    data = validated(
        TokenCreate, {"name": name, "scope": scope, "user": user, "expires_in_days": days or None}
    )

    def make(s: Session, a: Actor) -> tuple[TokenRead, str]:
        token, raw = service.tokens.create(session=s, actor=a, data=data)
        return TokenRead.model_validate(token), raw

    token, raw = run(database, make)
    if as_json:
        print_json({**token.model_dump(), "token": raw})
        return
    typer.echo(f"token {token.name} for {user} ({', '.join(token.scopes)}), shown once:")
    typer.echo(raw)


@token_app.command("list")
def token_list(
    user: str = typer.Option(..., "--user"), database: str = DB_OPT, as_json: bool = JSON_OPT
) -> None:
    """A user's tokens (never the secrets)."""
    tokens = run(
        database,
        lambda s, a: [
            TokenRead.model_validate(t) for t in service.tokens.list_for(session=s, actor=a, user=user)
        ],
    )
    if as_json:
        print_json(tokens)
        return
    for t in tokens:
        state = (
            "revoked" if t.revoked_at else f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "no expiry"
        )
        typer.echo(f"{t.id}  {t.prefix}…  {t.name:20} {','.join(t.scopes):18} {state}")


@token_app.command("revoke")
def token_revoke(token_id: str, database: str = DB_OPT) -> None:
    """Revoke a token by id; it stops working at once."""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError:
        fail("token id must be a UUID (see `vigil token list`)")
    run(database, lambda s, a: service.tokens.revoke(session=s, actor=a, token_id=parsed))
    typer.echo(f"revoked {token_id}")


team_app = typer.Typer(help="Teams (assignment groups): list, show, create, update.", no_args_is_help=True)


def _show_team(team: TeamRead) -> None:
    typer.echo(f"{team.name}  (manager: {team.manager.email if team.manager else '—'})")
    for member in team.members:
        typer.echo(f"  {member.email:40} {member.display_name}")


@team_app.command("list")
def team_list(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Every team with its manager and members."""
    teams = call(database, lambda t: list(Teams(t).iterate(limit=200)))
    if as_json:
        print_json(teams)
        return
    for team in teams:
        _show_team(team)


@team_app.command("show")
def team_show(name: str, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """One team by name (or id)."""
    team = call(database, lambda t: Teams(t).get(name))
    print_json(team) if as_json else _show_team(team)


@team_app.command("create")
def team_create(
    name: str,
    member: list[str] = typer.Option([], "--member", metavar="EMAIL", help="A member; repeat for more."),
    manager: str = typer.Option(None, "--manager", metavar="EMAIL"),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Create a team."""
    team = call(database, lambda t: Teams(t).create(name=name, members=member, manager=manager))
    print_json(team) if as_json else _show_team(team)


@team_app.command("update")
def team_update(
    name: str,
    rename: str = typer.Option(None, "--rename", metavar="NAME", help="A new name."),
    manager: str = typer.Option(None, "--manager", metavar="EMAIL", help="A new manager ('' to clear)."),
    member: list[str] = typer.Option(
        None, "--member", metavar="EMAIL", help="The whole new membership; repeat for each member."
    ),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Rename a team, change its manager, or replace its members."""
    raw: dict[str, object] = {}
    if rename is not None:
        raw["name"] = rename
    if manager is not None:
        raw["manager"] = manager or None
    if member:
        raw["members"] = member
    team = call(database, lambda t: Teams(t).update(name, **raw))
    print_json(team) if as_json else _show_team(team)
