"""`vigil audit ...`: check the hash chain and read the trail from a terminal or a script."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from vigil.auditlog import service
from vigil.auditlog.schemas import AuditFilter, AuditRecordRead
from vigil.cli_support import DB_OPT, JSON_OPT, print_json, run, validated
from vigil.core.actor import Actor

app = typer.Typer(help="The audit trail: verify the hash chain, list records.", no_args_is_help=True)


@app.command()
def verify(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """Walk the whole hash chain; exit 1 naming the first changed, removed or reordered record."""
    result = run(database, lambda s, a: service.verify(session=s, actor=a))
    if as_json:
        print_json(result)
    elif result.problem is None:
        typer.echo(f"audit chain intact: {result.checked} records")
    else:
        p = result.problem
        typer.echo(f"audit chain broken: {p.kind} at seq {p.seq}: {p.detail}", err=True)
    if not result.ok:
        raise typer.Exit(1)


@app.command("list")
def list_(
    action: str = typer.Option(None, help="Exact action, or a prefix ending in '.' (incident.)."),
    object_type: str = typer.Option(None, help="incident, user, team, ..."),
    object_id: str = typer.Option(None, help="The object's UUID."),
    actor: str = typer.Option(None, help="User UUID, or part of the actor's name."),
    channel: str = typer.Option(None, help="api, web, cli, job or library."),
    request_id: str = typer.Option(None, help="The request's X-Request-ID."),
    after: str = typer.Option(None, help="From this time (ISO 8601; no offset means UTC)."),
    before: str = typer.Option(None, help="Before this time (ISO 8601; no offset means UTC)."),
    limit: int = typer.Option(100, min=1, max=500),
    cursor: str = typer.Option(None, help="Continue from a previous page's next_cursor."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """List audit records, newest first, with the same filters as the API and the admin page."""
    raw = {
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "actor": actor,
        "channel": channel,
        "request_id": request_id,
        "occurred_after": after,
        "occurred_before": before,
        "limit": limit,
        "cursor": cursor,
    }
    filters = validated(AuditFilter, {k: v for k, v in raw.items() if v is not None})

    def search(s: Session, a: Actor) -> tuple[list[AuditRecordRead], str | None]:
        page = service.search(session=s, actor=a, filters=filters)
        return [service.to_read(r) for r in page.items], page.next_cursor

    items, next_cursor = run(database, search)
    if as_json:
        print_json({"items": items, "next_cursor": next_cursor})
        return
    table = Table("Seq", "Time (UTC)", "Actor", "Channel", "Action", "Object", "Changed")
    for r in items:
        table.add_row(
            str(r.seq),
            r.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
            r.actor_name,
            r.channel,
            r.action,
            f"{r.object_type} {r.object_id}",
            ", ".join(sorted(r.changes)) or "-",
        )
    Console().print(table)
    if next_cursor:
        typer.echo(f"more: --cursor {next_cursor}")
