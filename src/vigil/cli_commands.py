"""The CLI's own commands: serve, worker, db, demo, login, logout, whoami (each domain brings its own
group). `vigil.cli`, the root, imports this module only when one of its commands runs."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import threading

import httpx
import typer
import uvicorn
from sqlalchemy import make_url

from vigil import demo as demo_data
from vigil import domains
from vigil import migrate as migrations
from vigil.app import create_app
from vigil.auth import service as auth_service
from vigil.auth.library import Users
from vigil.auth.settings import get_auth_settings
from vigil.cli_support import (
    DB_OPT,
    Login,
    call,
    database_url,
    fail,
    forget_login,
    get_db,
    remote_url,
    save_login,
    state,
)
from vigil.client import Vigil
from vigil.core.audit import Adoption
from vigil.core.config import get_settings
from vigil.core.db import Database, make_engine
from vigil.core.errors import VigilError
from vigil.core.jobs import worker as job_worker
from vigil.remote import HttpTransport, api_base

state.resolve_actor = auth_service.operator_actor  # commands act as `--as EMAIL` or the first admin
state.prepare = domains.load
app = typer.Typer(no_args_is_help=True)
db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def is_loopback(host: str) -> bool:
    """True when every address `host` resolves to is a loopback address."""
    try:
        infos = socket.getaddrinfo(host, None)
    except socket.gaierror:
        return False
    return bool(infos) and all(ipaddress.ip_address(info[4][0]).is_loopback for info in infos)


def _first_admin(url: str) -> None:
    """On a database with no administrator, create one and print its password once."""
    settings = get_auth_settings()
    password = settings.admin_password.get_secret_value() if settings.admin_password else None
    with get_db(url).unit_of_work() as session:
        made = auth_service.ensure_first_admin(session, settings.admin_email, password)
    if made is None:
        return
    user, generated = made
    typer.secho(f"Created the first administrator: {user.email}", fg=typer.colors.GREEN)
    if generated:
        typer.secho(f"Its password, shown this once: {generated}", fg=typer.colors.YELLOW, bold=True)


def _adopt_audit(adoption: Adoption | None) -> None:
    """Say how many audit records from before keying were adopted; `migrate` logs a refusal as an error."""
    if adoption is not None and adoption.adopted:
        typer.echo(f"audit log: {adoption.adopted} records from before keying now MACed with the audit key")


MIGRATE_OPT = typer.Option(False, "--migrate", help="Bring the database schema up to date first.")


def _schema_ready(url: str, migrate: bool) -> None:
    """Run only on a database at this version's schema: otherwise say what to run (or, told to, migrate)."""
    _reachable(url)
    if not migrate:
        problem = migrations.database_problem(url)  # what migrating would fix: no schema, or an old one
        if problem is not None:
            fail(f"{problem}, or start with --migrate")
        return
    shown = make_url(url).render_as_string()
    before, head = migrations.current_revision(make_engine(url)), migrations.head_revision()
    if before != head:
        _adopt_audit(migrations.upgrade(url))
        typer.echo(f"database {shown} migrated from {before or 'empty'} to {head}")


def _reachable(url: str) -> str:
    """For the db commands: the URL, once the database can be opened (a missing SQLite file is fine)."""
    problem = migrations.database_problem(url, migrating=True)
    if problem is not None:
        fail(problem)
    return url


def _background_worker(db: Database) -> None:
    """`vigil worker` in a thread of this process (the server's own, or with --workers the supervisor's),
    so one command runs everything; it shares the server's database (on SQLite: its writer queue)."""
    domains.load()
    thread = threading.Thread(
        target=job_worker.run_forever,
        args=(db,),
        kwargs={"poll_seconds": get_settings().worker_poll_seconds},
        name="vigil-worker",
        daemon=True,
    )
    thread.start()
    typer.echo("worker: running in this process (--no-worker to run `vigil worker` apart)")


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to bind (VIGIL_HOST, default 127.0.0.1)."),
    port: int = typer.Option(None, help="Port (VIGIL_PORT, default 8000)."),
    database: str = typer.Option(None, "--database-url", help="SQLAlchemy URL (VIGIL_DATABASE_URL)."),
    workers: int = typer.Option(
        1, "--workers", min=1, max=64, metavar="N", help="Server processes (production on PostgreSQL)."
    ),
    migrate: bool = MIGRATE_OPT,
    no_worker: bool = typer.Option(
        False, "--no-worker", help="Run no background jobs here (scale-out: run `vigil worker` apart)."
    ),
) -> None:
    """Serve the API and the web UI, and run background jobs (auto-close, ...) unless --no-worker;
    creates the first administrator on a new database."""
    settings = get_settings()
    host = host or settings.host
    port = port or settings.port
    url = database_url(database)
    _schema_ready(url, migrate)
    _adopt_audit(migrations.adopt_audit(url))
    try:
        _first_admin(url)
    except VigilError as exc:
        fail(f"cannot create the first administrator: {exc.detail}")
    if not is_loopback(host) and get_auth_settings().cookie_secure != "always":
        typer.secho(
            f"warning: serving on {host}; put Vigil behind https and set VIGIL_COOKIE_SECURE=always",
            fg=typer.colors.YELLOW,
            err=True,
        )
    db = get_db(url)
    if not no_worker:
        _background_worker(db)
    typer.echo(f"Vigil on http://{host}:{port}  (database: {db.engine.url.render_as_string()})")
    # uvicorn's own proxy handling trusts loopback by default; Vigil's edge trusts only
    # VIGIL_TRUSTED_PROXIES, so a local client cannot spoof its address with X-Forwarded-For.
    options = {"host": host, "port": port, "log_level": settings.log_level, "proxy_headers": False}
    if workers == 1:
        uvicorn.run(create_app(db, background_sealer=True), **options)  # type: ignore[arg-type]
        return
    # Several processes import the app by name; each reads the database URL from the environment.
    os.environ["VIGIL_DATABASE_URL"] = url
    uvicorn.run("vigil.app:create_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]


@app.command()
def worker(
    database: str = typer.Option(None, "--database-url", help="SQLAlchemy URL (VIGIL_DATABASE_URL)."),
    once: bool = typer.Option(False, help="Run what is due now, then exit."),
    migrate: bool = MIGRATE_OPT,
) -> None:
    """Run background jobs and periodic tasks until interrupted."""
    _schema_ready(database_url(database), migrate)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    db = get_db(database_url(database))
    typer.echo(f"worker handles: {', '.join(domains.load())}")
    if once:
        typer.echo(f"ran {job_worker.run_pending(db)} job(s)")
        return
    job_worker.run_forever(db, poll_seconds=get_settings().worker_poll_seconds)


@app.command()
def demo(
    database: str = typer.Option(None, "--database-url", help="SQLAlchemy URL (VIGIL_DATABASE_URL)."),
    incidents: int = typer.Option(300, min=1, max=20000, help="How many incidents to generate."),
    days: int = typer.Option(120, min=1, max=3650, help="Spread them over this many past days."),
    seed: int = typer.Option(7, help="Random seed, for repeatable data."),
) -> None:
    """Load realistic demo data: people, teams, CIs and months of incidents."""
    url = _reachable(database_url(database))
    migrations.upgrade(url)
    made = demo_data.load(get_db(url), incidents=incidents, days=days, seed=seed)
    typer.echo(f"demo data: {made} incidents loaded" if made else "demo data is already loaded")


@db_app.command("upgrade")
def db_upgrade(
    revision: str = typer.Argument("head"),
    database: str = typer.Option(None, "--database-url", help="SQLAlchemy URL (VIGIL_DATABASE_URL)."),
) -> None:
    """Apply migrations up to REVISION (default: head)."""
    url = _reachable(database_url(database))
    _adopt_audit(migrations.upgrade(url, revision))
    typer.echo(f"database at {migrations.current_revision(make_engine(url))}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Target revision, e.g. -1 or base."),
    database: str = typer.Option(None, "--database-url", help="SQLAlchemy URL (VIGIL_DATABASE_URL)."),
) -> None:
    """Revert migrations down to REVISION."""
    url = _reachable(database_url(database))
    migrations.downgrade(url, revision)
    typer.echo(f"database at {migrations.current_revision(make_engine(url)) or 'base'}")


@db_app.command("revision")
def db_revision(
    message: str = typer.Option(..., "-m", "--message", help="What the migration changes."),
) -> None:
    """Generate a migration from model changes (review it before committing)."""
    typer.echo(f"generated {migrations.revision(message)}")


@db_app.command("current")
def db_current(
    database: str = typer.Option(None, "--database-url", help="SQLAlchemy URL (VIGIL_DATABASE_URL)."),
) -> None:
    """Show the current and the latest revision."""
    url = _reachable(database_url(database))
    head = migrations.head_revision()
    file = migrations.sqlite_file(url)
    if file is not None and not file.exists():
        typer.echo(f"current: base  head: {head}  (upgrade needed: no database file yet)")
        return
    current = migrations.current_revision(make_engine(url))
    typer.echo(
        f"current: {current or 'base'}  head: {head}  {'(up to date)' if current == head else '(upgrade needed)'}"
    )


@app.command()
def login(
    url: str = typer.Argument(..., help="The server, e.g. https://vigil.example.com."),
    token: str = typer.Option(
        None, "--token", help="A personal access token; asked for (not echoed) when omitted."
    ),
) -> None:
    """Use a Vigil server from this CLI: check the token, then keep it in your config directory (0600)."""
    if not url.startswith(("http://", "https://")):
        fail(f"{url!r} is not a server URL (https://...); local databases need no login")
    url = api_base(url).removesuffix("/api/v1")
    host = httpx.URL(url).host
    if url.startswith("http://") and not is_loopback(host):
        typer.secho(f"warning: {host} over plain http: the token crosses the network unencrypted", err=True)
    token = token or typer.prompt("API token", hide_input=True)
    try:
        with Vigil(HttpTransport(url, token, retries=1)) as v:
            me = v.users.me()
    except VigilError as exc:
        fail(f"cannot log in to {url}: {exc.detail}", error=exc)
    path = save_login(Login(url=url, token=token))
    typer.echo(f"logged in to {url} as {me.email} ({me.role}); the token is kept in {path}")


@app.command()
def logout() -> None:
    """Forget the server and token `vigil login` kept (the token itself stays valid until revoked)."""
    gone = forget_login()
    typer.echo(f"logged out of {gone.url}" if gone else "not logged in")


@app.command()
def whoami(database: str = DB_OPT) -> None:
    """Where commands go (a server, or the local database) and whom they act as."""
    server = remote_url(database)
    where = server or make_url(database_url(database)).render_as_string()
    me = call(database, lambda t: Users(t).me())
    typer.echo(f"{me.email} ({me.role}) on {where}")
