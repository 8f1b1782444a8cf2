"""`vigil incident ...`: create, list, show and work incidents from a terminal or a script."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from vigil.auth import service as auth_service
from vigil.cli_support import database_url, fail, get_db, print_json
from vigil.core.actor import Actor, Channel
from vigil.core.errors import VigilError
from vigil.incidents import service
from vigil.incidents.schemas import (
    CategoryCreate,
    CategoryRead,
    IncidentCreate,
    IncidentFilter,
    IncidentNote,
    IncidentRead,
    IncidentReopen,
    IncidentResolve,
)

app = typer.Typer(
    help="Incidents: create, list, show, acknowledge, resolve, close, reopen.", no_args_is_help=True
)
R = TypeVar("R")
DB_OPT = typer.Option(None, "--database-url", help="SQLAlchemy URL (VIGIL_DATABASE_URL).")
JSON_OPT = typer.Option(False, "--json", help="Machine-readable JSON output.")


def _run(database: str | None, fn: Callable[[Session, Actor], R]) -> R:
    """One command, one unit of work; domain and validation errors exit non-zero with the message."""
    try:
        with get_db(database_url(database)).unit_of_work() as session:
            return fn(session, auth_service.bootstrap_actor(session, Channel.CLI))
    except VigilError as exc:
        fail(exc.detail)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))


def _show(incident: IncidentRead, as_json: bool) -> None:
    if as_json:
        print_json(incident)
        return
    console = Console()
    console.print(f"[bold]{incident.number}[/bold] {incident.title}")
    for label, value in (
        ("status", incident.status),
        ("priority", f"{incident.priority} (impact {incident.impact}, urgency {incident.urgency})"),
        ("category", incident.category),
        ("requester", incident.requester.email),
        ("assigned to", incident.assigned_to.email if incident.assigned_to else "-"),
        ("group", incident.assignment_group.name if incident.assignment_group else "-"),
        ("affected CIs", ", ".join(ci.name for ci in incident.affected_cis) or "-"),
        ("created", incident.created_at.isoformat()),
        ("resolved", incident.resolved_at.isoformat() if incident.resolved_at else "-"),
        ("resolution", incident.resolution_notes or "-"),
        ("actions", ", ".join(incident.allowed_actions) or "-"),
    ):
        console.print(f"  {label:>13}: {value}")


@app.command()
def create(
    title: str = typer.Option(..., help="Short summary."),
    description: str = typer.Option("", help="What is happening."),
    category: str = typer.Option("Other"),
    impact: str = typer.Option("medium", help="high | medium | low"),
    urgency: str = typer.Option("medium", help="high | medium | low"),
    priority: str = typer.Option(None, help="P1-P4, overriding the matrix (needs --priority-reason)."),
    priority_reason: str = typer.Option(None),
    assigned_to: str = typer.Option(None, help="User email or UUID."),
    group: str = typer.Option(None, help="Team name or UUID."),
    ci: list[str] = typer.Option(None, help="Affected CI name or UUID (repeatable)."),
    tag: list[str] = typer.Option(None, help="Tag (repeatable)."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Open an incident."""
    fields: dict[str, Any] = {
        "title": title,
        "description": description,
        "category": category,
        "impact": impact,
        "urgency": urgency,
        "priority": priority,
        "priority_reason": priority_reason,
        "assigned_to": assigned_to,
        "assignment_group": group,
        "affected_cis": ci or [],
        "tags": tag or [],
    }
    data = _validated(IncidentCreate, {k: v for k, v in fields.items() if v is not None})
    _show(
        _run(database, lambda s, a: service.to_read(service.create(session=s, actor=a, data=data))), as_json
    )


def _validated(model: Any, data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))


@app.command("list")
def list_(
    status: list[str] = typer.Option(None, help="Status (repeatable)."),
    priority: list[str] = typer.Option(None, help="P1-P4 (repeatable)."),
    category: list[str] = typer.Option(None, help="Category (repeatable)."),
    assigned_to: str = typer.Option(None, help="Email, UUID, 'me' or 'none'."),
    group: str = typer.Option(None, help="Team name, UUID or 'none'."),
    ci: str = typer.Option(None, help="Affected CI."),
    q: str = typer.Option(None, help="Free text."),
    sort: str = typer.Option("-created_at"),
    limit: int = typer.Option(50, min=1, max=200),
    cursor: str = typer.Option(None, help="Continue from a previous page's next_cursor."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """List incidents with the same filters as the API and the queue page."""
    raw = {
        "status": status or [],
        "priority": priority or [],
        "category": category or [],
        "assigned_to": assigned_to,
        "assignment_group": group,
        "ci": ci,
        "q": q,
        "sort": sort,
        "limit": limit,
        "cursor": cursor,
    }
    filters = _validated(IncidentFilter, {k: v for k, v in raw.items() if v is not None})

    def run(s: Session, a: Actor) -> tuple[list[IncidentRead], str | None]:
        page = service.list_incidents(session=s, actor=a, filters=filters)
        return [service.to_read(i) for i in page.items], page.next_cursor

    items, next_cursor = _run(database, run)
    if as_json:
        print_json({"items": items, "next_cursor": next_cursor})
        return
    table = Table("Number", "Priority", "Status", "Title", "Assignee", "Created")
    for i in items:
        table.add_row(
            i.number,
            i.priority,
            i.status,
            i.title,
            i.assigned_to.email if i.assigned_to else "-",
            i.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)
    if next_cursor:
        typer.echo(f"more: --cursor {next_cursor}")


@app.command()
def show(ref: str, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Show one incident by number (INC-000123) or UUID."""
    _show(_run(database, lambda s, a: service.to_read(service.get(session=s, actor=a, ref=ref))), as_json)


@app.command()
def acknowledge(
    ref: str, note: str = typer.Option(None), database: str = DB_OPT, as_json: bool = JSON_OPT
) -> None:
    """Acknowledge an open incident (takes ownership when unassigned)."""
    data = IncidentNote(note=note)
    _show(
        _run(
            database,
            lambda s, a: service.to_read(service.acknowledge(session=s, actor=a, ref=ref, data=data)),
        ),
        as_json,
    )


@app.command()
def resolve(
    ref: str,
    notes: str = typer.Option(..., help="Resolution notes (required)."),
    code: str = typer.Option("fixed", help="Resolution code."),
    root_cause: str = typer.Option(None),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Resolve an incident."""
    data = _validated(
        IncidentResolve, {"resolution_notes": notes, "resolution_code": code, "root_cause": root_cause}
    )
    _show(
        _run(database, lambda s, a: service.to_read(service.resolve(session=s, actor=a, ref=ref, data=data))),
        as_json,
    )


@app.command()
def close(ref: str, note: str = typer.Option(None), database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Close a resolved incident."""
    data = IncidentNote(note=note)
    _show(
        _run(database, lambda s, a: service.to_read(service.close(session=s, actor=a, ref=ref, data=data))),
        as_json,
    )


@app.command()
def reopen(
    ref: str,
    reason: str = typer.Option(..., help="Why it is not solved."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Reopen a resolved incident within the reopen window."""
    data = _validated(IncidentReopen, {"reason": reason})
    _show(
        _run(database, lambda s, a: service.to_read(service.reopen(session=s, actor=a, ref=ref, data=data))),
        as_json,
    )


category_app = typer.Typer(help="The incident category list.", no_args_is_help=True)
app.add_typer(category_app, name="category")


@category_app.command("list")
def category_list(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Show every category, active or retired."""
    rows = _run(
        database, lambda s, a: [CategoryRead.model_validate(c) for c in service.categories.list_all(s)]
    )
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(f"{row.name}{'' if row.active else '  (disabled)'}")


@category_app.command("add")
def category_add(name: str, database: str = DB_OPT) -> None:
    """Add a category at the end of the list."""
    data = _validated(CategoryCreate, {"name": name})
    _run(database, lambda s, a: service.categories.add(session=s, actor=a, name=data.name))
    typer.echo(f"added {data.name}")


@category_app.command("disable")
def category_disable(name: str, database: str = DB_OPT) -> None:
    """Retire a category: existing incidents keep it, new ones cannot use it."""
    _run(database, lambda s, a: service.categories.set_active(session=s, actor=a, name=name, active=False))
    typer.echo(f"disabled {name}")


@category_app.command("enable")
def category_enable(name: str, database: str = DB_OPT) -> None:
    """Bring a retired category back."""
    _run(database, lambda s, a: service.categories.set_active(session=s, actor=a, name=name, active=True))
    typer.echo(f"enabled {name}")
