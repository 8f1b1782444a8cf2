"""`vigil alerts ...` and `vigil integration ...`: alert intake from a terminal or a script."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from vigil.alerts.library import Alerts, Integrations
from vigil.alerts.models import AlertStatus, Kind, Recovery
from vigil.cli_support import DB_OPT, JSON_OPT, call, fail, print_json, timestamp

app = typer.Typer(help="Alerts from monitoring: list, show, promote.", no_args_is_help=True)
integrations = typer.Typer(
    help="Alert integrations: create, list, show, rotate-token, dry-run.", no_args_is_help=True
)


def _table(*columns: str) -> Table:
    table = Table(box=None, pad_edge=False, header_style="bold underline")
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _alert_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        fail(f"{value!r} is not an alert id (a UUID)")


@app.command("list")
def list_(
    integration: str = typer.Option(None, "--integration", metavar="NAME", help="Only this integration's."),
    status: AlertStatus = typer.Option(None, "--status", help="firing or resolved."),
    limit: int = typer.Option(50, min=1, max=200),
    cursor: str = typer.Option(None, help="Continue from a previous page's next_cursor."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Alerts, most recently seen first, with their incident."""
    filters: dict[str, Any] = {"integration": integration, "status": status, "limit": limit, "cursor": cursor}
    page = call(database, lambda t: Alerts(t).list(**filters))
    if as_json:
        print_json({"items": page.items, "next_cursor": page.next_cursor})
        return
    if not page.items:
        typer.echo("no alerts")
        return
    table = _table("Last seen", "Status", "Prio", "Alert", "Seen", "Incident", "Id")
    for a in page.items:
        title = a.annotations.get("summary") or a.labels.get("alertname") or a.fingerprint
        table.add_row(
            timestamp(a.last_seen_at),
            a.status,
            a.priority,
            str(title),
            str(a.count),
            a.incident or "-",
            str(a.id),
        )
    Console().print(table)
    if page.next_cursor:
        typer.echo(f"more: --cursor {page.next_cursor}")


@app.command()
def show(
    alert_id: str = typer.Argument(..., metavar="ID"), database: str = DB_OPT, as_json: bool = JSON_OPT
) -> None:
    """One alert: its labels, annotations, times and incident."""
    ref = _alert_id(alert_id)
    alert = call(database, lambda t: Alerts(t).get(ref))
    if as_json:
        print_json(alert)
        return
    for key, value in alert.model_dump(mode="json").items():
        typer.echo(f"{key}: {value}")


@app.command()
def promote(
    alert_id: str = typer.Argument(..., metavar="ID"), database: str = DB_OPT, as_json: bool = JSON_OPT
) -> None:
    """Open an incident for a stored (lower priority) alert's group."""
    ref = _alert_id(alert_id)
    result = call(database, lambda t: Alerts(t).promote(ref))
    if as_json:
        print_json(result)
    else:
        typer.echo(f"opened {result.incident}")


@integrations.command("create")
def create(
    name: str = typer.Argument(..., metavar="NAME"),
    kind: Kind = typer.Option(..., "--kind", help="alertmanager, grafana or generic."),
    recovery: Recovery = typer.Option(Recovery.RESOLVE, "--recovery", help="resolve or note."),
    rules: Path = typer.Option(None, "--rules", metavar="FILE", help="Mapping rules (a JSON file)."),
    hmac_secret: str = typer.Option(
        None, "--hmac-secret", metavar="SECRET", help="Also accept HMAC signatures."
    ),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """A new integration; prints its token (shown only now)."""
    fields: dict[str, Any] = {"name": name, "kind": kind, "recovery": recovery, "hmac_secret": hmac_secret}
    if rules is not None:
        fields["rules"] = _json_file(rules, "--rules")
    made = call(database, lambda t: Integrations(t).create(**fields))
    if as_json:
        print_json(made)
        return
    typer.echo(f"created {made.kind} integration {made.name}: POST {made.url}")
    typer.echo(f"token (shown only now): {made.token}")


def _json_file(path: Path, flag: str) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        fail(f"{flag}: cannot read JSON from {path}: {exc}")


@integrations.command("list")
def list_integrations(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Every integration."""
    found = call(database, lambda t: Integrations(t).list())
    if as_json:
        print_json({"items": found})
        return
    table = _table("Name", "Kind", "Recovery", "Active", "URL")
    for i in found:
        table.add_row(i.name, i.kind, i.recovery, "yes" if i.active else "no", i.url)
    Console().print(table)


@integrations.command("show")
def show_integration(
    name: str = typer.Argument(..., metavar="NAME"), database: str = DB_OPT, as_json: bool = JSON_OPT
) -> None:
    """One integration and its mapping rules."""
    found = call(database, lambda t: Integrations(t).get(name))
    if as_json:
        print_json(found)
        return
    for key, value in found.model_dump(mode="json").items():
        typer.echo(f"{key}: {value}")


@integrations.command("rotate-token")
def rotate_token(
    name: str = typer.Argument(..., metavar="NAME"), database: str = DB_OPT, as_json: bool = JSON_OPT
) -> None:
    """A new token for the integration; the old one stops working at once."""
    made = call(database, lambda t: Integrations(t).rotate_token(name))
    if as_json:
        print_json(made)
    else:
        typer.echo(f"new token (shown only now): {made.token}")


@integrations.command("dry-run")
def dry_run(
    name: str = typer.Argument(..., metavar="NAME"),
    payload: Path = typer.Argument(..., metavar="FILE", help="An example webhook body (JSON)."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """What each alert of an example payload would produce; nothing is written."""
    document = _json_file(payload, "FILE")
    result = call(database, lambda t: Integrations(t).dry_run(name, document))
    if as_json:
        print_json(result)
        return
    table = _table("Status", "Prio", "Incident", "Title", "Category", "Team", "CIs")
    for a in result.alerts:
        table.add_row(
            a.status, a.priority, "opens" if a.opens_incident else "stored", a.title, a.category,
            a.team or "-", ", ".join(a.affected_cis) or "-",
        )  # fmt: skip
    Console().print(table)
