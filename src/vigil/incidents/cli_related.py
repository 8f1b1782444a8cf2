"""`vigil incident watch|unwatch|watchers|link|unlink|links|attach|attachments|download|detach|bulk`:
what hangs off an incident, on the local database or a server, through the library facade."""

from __future__ import annotations

import uuid
from pathlib import Path

import typer

from vigil.cli_support import DB_OPT, JSON_OPT, IncidentArg, call, print_json
from vigil.incidents.library import Incidents


def register(app: typer.Typer) -> None:
    """Add these commands to `vigil incident`."""
    for command in (
        watch,
        unwatch,
        watchers,
        link,
        unlink,
        links,
        attach,
        attachments,
        download,
        detach,
        bulk,
    ):
        app.command()(command)


def watch(
    ref: IncidentArg,
    user: str = typer.Option(None, help="Someone else (staff): email or UUID."),
    database: str = DB_OPT,
) -> None:
    """Watch an incident (CC): you see it and get its notifications."""
    made = call(database, lambda t: Incidents(t).watch(ref, user))
    typer.echo(f"{made.email} watches {ref}")


def unwatch(
    ref: IncidentArg,
    user: str = typer.Option(None, help="Someone else (staff): email or UUID."),
    database: str = DB_OPT,
) -> None:
    """Stop watching an incident (or, staff, remove another watcher)."""
    call(database, lambda t: Incidents(t).unwatch(ref, user))
    typer.echo(f"{user or 'you'} no longer watch{'es' if user else ''} {ref}")


def watchers(ref: IncidentArg, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Who watches an incident."""
    rows = call(database, lambda t: Incidents(t).watchers(ref))
    if as_json:
        print_json(rows)
        return
    for w in rows:
        typer.echo(f"{w.email:40} {w.display_name}")


def link(
    ref: IncidentArg,
    kind: str = typer.Argument(..., help="caused_by, related_to, ..."),
    target: str = typer.Argument(..., help="The other incident's number or UUID."),
    database: str = DB_OPT,
) -> None:
    """Link an incident to another record (staff)."""
    made = call(database, lambda t: Incidents(t).link(ref, kind, target))
    typer.echo(f"{ref} {made.kind} {made.other.number}  (link {made.id})")


def unlink(ref: IncidentArg, link_id: uuid.UUID, database: str = DB_OPT) -> None:
    """Remove a link (staff)."""
    call(database, lambda t: Incidents(t).unlink(ref, link_id))
    typer.echo(f"link {link_id} removed")


def links(ref: IncidentArg, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """An incident's links whose other end you may see."""
    rows = call(database, lambda t: Incidents(t).links(ref))
    if as_json:
        print_json(rows)
        return
    for x in rows:
        typer.echo(f"{x.kind:14} {x.other.number}  {x.other.title}  ({x.id})")


def attach(
    ref: IncidentArg,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True),
    comment: uuid.UUID = typer.Option(None, help="Attach to this comment of the incident."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Attach a file to an incident (or one of its comments)."""
    made = call(database, lambda t: Incidents(t).attach(ref, file, comment_id=comment))
    if as_json:
        print_json(made)
        return
    typer.echo(f"attached {made.filename} ({made.size} bytes, sha256 {made.sha256[:12]}…) as {made.id}")


def attachments(ref: IncidentArg, database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """An incident's attachments."""
    rows = call(database, lambda t: Incidents(t).attachments(ref))
    if as_json:
        print_json(rows)
        return
    for a in rows:
        typer.echo(f"{a.id}  {a.size:>10}  {a.content_type:28} {a.filename}")


def download(
    ref: IncidentArg,
    attachment_id: uuid.UUID,
    output: Path = typer.Option(None, "-o", "--output", help="Where to write it (default: its own name)."),
    database: str = DB_OPT,
) -> None:
    """Save an attachment to a file."""
    incidents = lambda t: Incidents(t)  # noqa: E731
    content = call(database, lambda t: incidents(t).download(ref, attachment_id))
    if output is None:
        found = call(database, lambda t: [a for a in incidents(t).attachments(ref) if a.id == attachment_id])
        output = Path(found[0].filename if found else str(attachment_id))
    output.write_bytes(content)
    typer.echo(f"wrote {output} ({len(content)} bytes)")


def detach(ref: IncidentArg, attachment_id: uuid.UUID, database: str = DB_OPT) -> None:
    """Delete an attachment (yours, or as staff anyone's)."""
    call(database, lambda t: Incidents(t).delete_attachment(ref, attachment_id))
    typer.echo(f"attachment {attachment_id} deleted")


def bulk(
    action: str = typer.Argument(..., help="assign | change_team | comment | resolve | close"),
    refs: list[str] = typer.Argument(..., help="Incident numbers or UUIDs."),
    assigned_to: str = typer.Option(None, help="assign: user email or UUID (none: unassign)."),
    group: str = typer.Option(None, help="change_team: team name or UUID (none: clear)."),
    body: str = typer.Option(None, help="comment: the text."),
    internal: bool = typer.Option(False, "--internal", help="comment: a work note."),
    notes: str = typer.Option(None, help="resolve: resolution notes."),
    code: str = typer.Option("fixed", help="resolve: resolution code."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """One action over many incidents; each succeeds or fails on its own. Exit 1 if any failed."""
    fields = {
        "assigned_to": assigned_to, "assignment_group": group, "body": body, "internal": internal,
        "resolution_notes": notes, "resolution_code": code,
    }  # fmt: skip
    result = call(database, lambda t: Incidents(t).bulk(action, refs, **fields))
    if as_json:
        print_json(result)
    else:
        for r in result.results:
            typer.echo(f"{r.ref:12} {'ok' if r.ok else 'refused'}  {r.problem.detail if r.problem else ''}")
        typer.echo(f"{result.succeeded} done, {result.failed} refused")
    if result.failed:
        raise typer.Exit(1)
