"""`vigil incident ...`: create, list, show and work incidents from a terminal or a script, on the local
database or on a server (`vigil login`, or VIGIL_URL and VIGIL_TOKEN) through the library facade."""

from __future__ import annotations

from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from vigil.auth.library import Users
from vigil.cli_support import DB_OPT, JSON_OPT, IncidentArg, call, fail, print_json, timestamp
from vigil.core.facade import Transport
from vigil.incidents import cli_related, cli_setup
from vigil.incidents.library import Incidents
from vigil.incidents.lifecycle import Status
from vigil.incidents.priority import Level, Priority
from vigil.incidents.schemas import (
    IncidentRead,
    IncidentSla,
    ResolutionCode,
    SlaClockRead,
    SlaFilter,
    SortKey,
)

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
        ("created", timestamp(incident.created_at)),
        ("updated", timestamp(incident.updated_at)),
        ("resolved", timestamp(incident.resolved_at) if incident.resolved_at else "-"),
        ("resolution", incident.resolution_notes or "-"),
        ("actions", ", ".join(incident.allowed_actions) or "-"),
    ):
        console.print(f"  {label:>14}: {value}")
    for metric, c in sorted(incident.sla.items(), reverse=True):  # response, then resolution
        console.print(f"  {metric + ' SLA':>14}: {_clock_line(c)}")


def _span(seconds: int) -> str:
    minutes = abs(seconds) // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if days else f"{hours}h {minutes}m" if hours else f"{minutes}m"


def _clock_line(c: SlaClockRead) -> str:
    """One clock: "running, 1h 20m left, due 2026-12-07T15:00:00Z (35.0 % of 4h 0m, Business hours)"."""
    if c.state == "met":
        lead = f"met in {_span(c.elapsed_seconds)}"
    elif c.remaining_seconds < 0:
        lead = f"breached, {_span(-c.remaining_seconds)} over"
    else:
        lead = f"{c.state}, {_span(c.remaining_seconds)} left"
    due = f", due {timestamp(c.due_at)}" if c.due_at and c.stopped_at is None else ""
    return f"{lead}{due} ({c.percent_used} % of {_span(c.target_seconds)}, {c.calendar})"


@app.command()
def create(
    title: str = typer.Option(..., help="Short summary."),
    description: str = typer.Option("", help="What is happening."),
    category: str = typer.Option("Other", help="Category name."),
    impact: Level = typer.Option(Level.MEDIUM, help="How widely it hurts."),
    urgency: Level = typer.Option(Level.MEDIUM, help="How soon it must be fixed."),
    priority: Priority = typer.Option(
        None, help="Override the impact x urgency matrix (needs --priority-reason)."
    ),
    priority_reason: str = typer.Option(None, help="Why the priority differs from the matrix."),
    requester: str = typer.Option(
        None, help="Raise it for this caller (staff taking a call): email or UUID."
    ),
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
        "requester": requester,
        "assigned_to": assigned_to,
        "assignment_group": group,
        "affected_cis": ci or [],
        "tags": tag or [],
    }
    _show(call(database, lambda t: Incidents(t).create(**fields)), as_json)


@app.command("list")
def list_(
    status: list[Status] = typer.Option(None, help="Status (repeatable)."),
    priority: list[Priority] = typer.Option(None, help="Priority (repeatable)."),
    category: list[str] = typer.Option(None, help="Category (repeatable)."),
    assigned_to: str = typer.Option(None, help="Email, UUID, 'me' or 'none'."),
    group: str = typer.Option(None, help="Team name, UUID or 'none'."),
    ci: str = typer.Option(None, help="Affected CI."),
    q: str = typer.Option(None, help="Free text."),
    sla: list[SlaFilter] = typer.Option(None, help="SLA state: breached, at_risk (repeatable)."),
    sort: SortKey = typer.Option(
        SortKey.CREATED_DESC, help="Order; a leading - is newest or highest first; sla_due: due soonest."
    ),
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
        "sla": sla or [],
        "sort": sort,
        "limit": limit,
        "cursor": cursor,
    }
    page = call(database, lambda t: Incidents(t).list(**filters))
    if as_json:
        print_json({"items": page.items, "next_cursor": page.next_cursor})
        return
    # Fits the terminal down to 80 columns: only the title wraps; a long assignee is cut with "…".
    table = Table(box=None, pad_edge=False, header_style="bold underline")
    table.add_column("Number", no_wrap=True)
    table.add_column("P", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Title", overflow="fold", min_width=10)
    table.add_column("Assignee", no_wrap=True, overflow="ellipsis", max_width=10)
    table.add_column("Updated", no_wrap=True)
    for i in page.items:
        table.add_row(
            i.number,
            i.priority,
            i.status,
            i.title,
            i.assigned_to.email.split("@")[0] if i.assigned_to else "-",
            timestamp(i.updated_at),
        )
    Console().print(table)
    if page.next_cursor:
        typer.echo(f"more: --cursor {page.next_cursor}")


@app.command()
def show(ref: IncidentArg, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Show one incident by number (INC-000123) or UUID."""
    _show(call(database, lambda t: Incidents(t).get(ref)), as_json)


@app.command()
def sla(ref: IncidentArg, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Explain an incident's SLA due times: policy, calendar, clock events, business time counted."""
    found: IncidentSla = call(database, lambda t: Incidents(t).sla(ref))
    if as_json:
        print_json(found)
        return
    console = Console()
    console.print(f"[bold]{found.number}[/bold] SLA")
    for e in sorted(found.clocks, key=lambda e: e.metric, reverse=True):
        console.print(f"  [bold]{e.metric}[/bold]: {_clock_line(e.clock)}")
        console.print(
            f"    policy {e.clock.policy}, {e.clock.priority}; calendar {e.calendar.get('name')} ({e.calendar.get('timezone')})"
        )
        for ev in e.events:
            console.print(f"    {timestamp(ev.at)}  {ev.kind}")
        counted = sum(s.seconds for s in e.spans)
        console.print(f"    {len(e.spans)} working spans counted, {_span(counted)} in all")


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
        ref: IncidentArg,
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
    ref: IncidentArg,
    notes: str = typer.Option(..., help="Resolution notes (required)."),
    code: ResolutionCode = typer.Option(ResolutionCode.FIXED, help="How it was resolved."),
    root_cause: str = typer.Option(None, help="What caused it, if known."),
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
def update(
    ref: IncidentArg,
    title: str = typer.Option(None, help="New summary."),
    description: str = typer.Option(None, help="New description."),
    category: str = typer.Option(None, help="Category name."),
    impact: Level = typer.Option(None, help="How widely it hurts."),
    urgency: Level = typer.Option(None, help="How soon it must be fixed."),
    ci: list[str] = typer.Option(None, help="Affected CI (repeatable; replaces the list)."),
    no_cis: bool = typer.Option(False, "--no-cis", help="Clear the affected CIs."),
    tag: list[str] = typer.Option(None, help="Tag (repeatable; replaces the list)."),
    no_tags: bool = typer.Option(False, "--no-tags", help="Clear the tags."),
    root_cause: str = typer.Option(None, help="What caused it."),
    version: int = VERSION_OPT,
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Edit an incident's fields (only those given change), like the API's PATCH."""
    given: dict[str, Any] = {
        "title": title,
        "description": description,
        "category": category,
        "impact": impact,
        "urgency": urgency,
        "root_cause": root_cause,
    }
    fields = {name: value for name, value in given.items() if value is not None}
    if ci or no_cis:
        fields["affected_cis"] = [] if no_cis else ci
    if tag or no_tags:
        fields["tags"] = [] if no_tags else tag
    if not fields:
        fail(
            "nothing to change: give at least one of --title, --description, --category, --impact, "
            "--urgency, --ci, --no-cis, --tag, --no-tags, --root-cause"
        )
    _show(call(database, lambda t: Incidents(t).update(ref, **fields, version=version)), as_json)


@app.command()
def assign(
    ref: IncidentArg,
    assignee: str = typer.Argument(None, help="An agent's email or UUID, `me`, or `none` to unassign."),
    group: str = typer.Option(None, help="Also set the team (name or UUID; `none` clears it)."),
    version: int = VERSION_OPT,
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Assign an incident to an agent (or to yourself: `me`) and/or a team."""
    if assignee is None and group is None:
        fail("say whom to assign: an ASSIGNEE (email, `me` or `none`) and/or --group TEAM")

    def act(t: Transport) -> IncidentRead:
        fields: dict[str, Any] = {}
        if assignee is not None:
            me = assignee.lower() == "me"
            fields["assigned_to"] = (
                None if assignee.lower() == "none" else Users(t).me().email if me else assignee
            )
        if group is not None:
            fields["assignment_group"] = None if group.lower() == "none" else group
        return Incidents(t).update(ref, **fields, version=version)

    _show(call(database, act), as_json)


@app.command()
def reopen(
    ref: IncidentArg,
    reason: str = typer.Option(..., help="Why it is not solved."),
    version: int = VERSION_OPT,
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Reopen a resolved incident within the reopen window."""
    _show(call(database, lambda t: Incidents(t).reopen(ref, reason, version=version)), as_json)


@app.command()
def escalate(
    ref: IncidentArg,
    reason: str = typer.Option(..., help="Why it needs more (shown on the timeline)."),
    manager: bool = typer.Option(
        False, "--manager", help="Bring in the group's manager instead (hierarchical)."
    ),
    to_level: int = typer.Option(None, min=2, max=4, help="Skip to this level (2-4)."),
    version: int = VERSION_OPT,
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Escalate to the next support level's team (L1 -> L4), or with --manager to the group's manager."""
    kind = "hierarchical" if manager else "functional"
    _show(
        call(
            database,
            lambda t: Incidents(t).escalate(ref, reason, kind=kind, to_level=to_level, version=version),
        ),
        as_json,
    )


@app.command()
def comment(
    ref: IncidentArg,
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
def timeline(ref: IncidentArg, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Comments, work notes (staff) and every recorded change, oldest first."""
    entries = call(database, lambda t: Incidents(t).timeline(ref))
    if as_json:
        print_json(entries)
        return
    for e in entries:
        what = e.body or ", ".join(f"{k}: {' → '.join(map(str, v))}" for k, v in e.changes.items())
        typer.echo(f"{timestamp(e.at)}  {e.actor:20} {e.action:22} {what}")


cli_setup.register(app)  # vigil incident levels, level-set, category ...
cli_related.register(app)
