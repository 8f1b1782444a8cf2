"""`vigil incident ...`: create, list, show and work incidents from a terminal or a script, on the local
database or on a server (`vigil login`, or VIGIL_URL and VIGIL_TOKEN) through the library facade."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from vigil.cli_support import DB_OPT, JSON_OPT, call, print_json
from vigil.core.facade import Transport
from vigil.incidents import cli_related
from vigil.incidents.library import Incidents
from vigil.incidents.schemas import IncidentRead

app = typer.Typer(
    help="Incidents: create, list, show and work them; watchers, links, attachments and bulk actions.",
    no_args_is_help=True,
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
    _show(call(database, lambda t: Incidents(t).create(**fields)), as_json)


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
    filters = {
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
    page = call(database, lambda t: Incidents(t).list(**filters))
    if as_json:
        print_json({"items": page.items, "next_cursor": page.next_cursor})
        return
    table = Table("Number", "Priority", "Status", "Title", "Assignee", "Created")
    for i in page.items:
        table.add_row(
            i.number,
            i.priority,
            i.status,
            i.title,
            i.assigned_to.email if i.assigned_to else "-",
            i.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    Console().print(table)
    if page.next_cursor:
        typer.echo(f"more: --cursor {page.next_cursor}")


@app.command()
def show(ref: str, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Show one incident by number (INC-000123) or UUID."""
    _show(call(database, lambda t: Incidents(t).get(ref)), as_json)


NOTE_OPT = typer.Option(None, help="A note for the timeline.")
VERSION_OPT = typer.Option(None, help="Refuse if the incident moved past this version (as If-Match).")


def _noted(
    action: str, ref: str, note: str | None, version: int | None, database: str | None
) -> IncidentRead:
    def act(t: Transport) -> IncidentRead:
        perform = getattr(Incidents(t), action)
        result: IncidentRead = perform(ref, note, version=version)
        return result

    return call(database, act)


#: The lifecycle actions that take at most a note, each its own command (like the API's operations).
NOTE_COMMANDS = {
    "acknowledge": "Acknowledge an open incident (takes ownership when unassigned).",
    "hold": "Put an incident in progress on hold (waiting on the requester or a vendor).",
    "resume": "Resume an incident on hold.",
    "close": "Close a resolved incident.",
    "cancel": "Cancel an incident raised by mistake (final).",
}


def _note_command(action: str, summary: str) -> None:
    def command(
        ref: str,
        note: str = NOTE_OPT,
        version: int = VERSION_OPT,
        database: str = DB_OPT,
        as_json: bool = JSON_OPT,
    ) -> None:
        _show(_noted(action, ref, note, version, database), as_json)

    command.__doc__ = summary
    app.command(action)(command)


for _action, _summary in NOTE_COMMANDS.items():
    _note_command(_action, _summary)


@app.command()
def resolve(
    ref: str,
    notes: str = typer.Option(..., help="Resolution notes (required)."),
    code: str = typer.Option("fixed", help="Resolution code."),
    root_cause: str = typer.Option(None),
    version: int = VERSION_OPT,
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Resolve an incident."""
    _show(
        call(database, lambda t: Incidents(t).resolve(ref, notes, code, root_cause, version=version)),
        as_json,
    )


@app.command()
def reopen(
    ref: str,
    reason: str = typer.Option(..., help="Why it is not solved."),
    version: int = VERSION_OPT,
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Reopen a resolved incident within the reopen window."""
    _show(call(database, lambda t: Incidents(t).reopen(ref, reason, version=version)), as_json)


@app.command()
def comment(
    ref: str,
    body: str = typer.Argument(..., help="The comment."),
    internal: bool = typer.Option(False, "--internal", help="A work note, hidden from the requester."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Add a comment (or, with --internal, a work note)."""
    made = call(database, lambda t: Incidents(t).comment(ref, body, internal=internal))
    if as_json:
        print_json(made)
        return
    typer.echo(f"{'work note' if made.internal else 'comment'} added to {ref}")


@app.command()
def timeline(ref: str, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Comments, work notes (staff) and every recorded change, oldest first."""
    entries = call(database, lambda t: Incidents(t).timeline(ref))
    if as_json:
        print_json(entries)
        return
    for e in entries:
        what = e.body or ", ".join(f"{k}: {' → '.join(map(str, v))}" for k, v in e.changes.items())
        typer.echo(f"{e.at:%Y-%m-%d %H:%M}  {e.actor:20} {e.action:22} {what}")


category_app = typer.Typer(help="The incident category list.", no_args_is_help=True)
app.add_typer(category_app, name="category")


@category_app.command("list")
def category_list(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Show every category, active or retired."""
    rows = call(database, lambda t: Incidents(t).categories.list().items)
    if as_json:
        print_json(rows)
        return
    for row in rows:
        typer.echo(f"{row.name}{'' if row.active else '  (disabled)'}")


@category_app.command("add")
def category_add(name: str, database: str = DB_OPT) -> None:
    """Add a category at the end of the list."""
    made = call(database, lambda t: Incidents(t).categories.create(name))
    typer.echo(f"added {made.name}")


@category_app.command("disable")
def category_disable(name: str, database: str = DB_OPT) -> None:
    """Retire a category: existing incidents keep it, new ones cannot use it."""
    call(database, lambda t: Incidents(t).categories.update(name, active=False))
    typer.echo(f"disabled {name}")


@category_app.command("enable")
def category_enable(name: str, database: str = DB_OPT) -> None:
    """Bring a retired category back."""
    call(database, lambda t: Incidents(t).categories.update(name, active=True))
    typer.echo(f"enabled {name}")


cli_related.register(app)
