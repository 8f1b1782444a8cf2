"""`vigil incident ...`: create, list, show and work incidents from a terminal or a script."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from vigil.cli_support import DB_OPT, JSON_OPT, print_json, run, validated
from vigil.core.actor import Actor
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
    data = validated(IncidentCreate, {k: v for k, v in fields.items() if v is not None})
    _show(
        run(database, lambda s, a: service.to_read(service.create(session=s, actor=a, data=data), a)), as_json
    )


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
    filters = validated(IncidentFilter, {k: v for k, v in raw.items() if v is not None})

    def page(s: Session, a: Actor) -> tuple[list[IncidentRead], str | None]:
        found = service.list_incidents(session=s, actor=a, filters=filters)
        return [service.to_read(i, a) for i in found.items], found.next_cursor

    items, next_cursor = run(database, page)
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
    _show(run(database, lambda s, a: service.to_read(service.get(session=s, actor=a, ref=ref), a)), as_json)


@app.command()
def acknowledge(
    ref: str, note: str = typer.Option(None), database: str = DB_OPT, as_json: bool = JSON_OPT
) -> None:
    """Acknowledge an open incident (takes ownership when unassigned)."""
    data = IncidentNote(note=note)
    _show(
        run(
            database,
            lambda s, a: service.to_read(service.acknowledge(session=s, actor=a, ref=ref, data=data), a),
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
    data = validated(
        IncidentResolve, {"resolution_notes": notes, "resolution_code": code, "root_cause": root_cause}
    )
    _show(
        run(
            database, lambda s, a: service.to_read(service.resolve(session=s, actor=a, ref=ref, data=data), a)
        ),
        as_json,
    )


@app.command()
def close(ref: str, note: str = typer.Option(None), database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Close a resolved incident."""
    data = IncidentNote(note=note)
    _show(
        run(database, lambda s, a: service.to_read(service.close(session=s, actor=a, ref=ref, data=data), a)),
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
    data = validated(IncidentReopen, {"reason": reason})
    _show(
        run(
            database, lambda s, a: service.to_read(service.reopen(session=s, actor=a, ref=ref, data=data), a)
        ),
        as_json,
    )


category_app = typer.Typer(help="The incident category list.", no_args_is_help=True)
app.add_typer(category_app, name="category")


@category_app.command("list")
def category_list(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Show every category, active or retired."""
    rows = run(
        database,
        lambda s, a: [
            CategoryRead.model_validate(c) for c in service.categories.list_all(session=s, actor=a)
        ],
    )
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(f"{row.name}{'' if row.active else '  (disabled)'}")


@category_app.command("add")
def category_add(name: str, database: str = DB_OPT) -> None:
    """Add a category at the end of the list."""
    data = validated(CategoryCreate, {"name": name})
    run(database, lambda s, a: service.categories.add(session=s, actor=a, name=data.name))
    typer.echo(f"added {data.name}")


@category_app.command("disable")
def category_disable(name: str, database: str = DB_OPT) -> None:
    """Retire a category: existing incidents keep it, new ones cannot use it."""
    run(database, lambda s, a: service.categories.set_active(session=s, actor=a, name=name, active=False))
    typer.echo(f"disabled {name}")


@category_app.command("enable")
def category_enable(name: str, database: str = DB_OPT) -> None:
    """Bring a retired category back."""
    run(database, lambda s, a: service.categories.set_active(session=s, actor=a, name=name, active=True))
    typer.echo(f"enabled {name}")
