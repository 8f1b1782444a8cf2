"""`vigil audit ...`: check the hash chain and read the trail from a terminal or a script."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.orm import Session

from vigil.auditlog import service
from vigil.auditlog.schemas import AuditFilter, AuditRecordRead
from vigil.cli_support import DB_OPT, JSON_OPT, fail, print_json, run, validated
from vigil.core import auditkey
from vigil.core.actor import Actor
from vigil.core.errors import Invalid

app = typer.Typer(help="The audit trail: verify the hash chain, list records.", no_args_is_help=True)


ANCHOR_OPT = typer.Option(
    None,
    "--anchor",
    help="An anchor file from `vigil audit anchor`: the log must still hold the anchored record.",
    dir_okay=False,
)


def _read_anchor(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read the anchor {path}: {exc}")


@app.command()
def verify(database: str = DB_OPT, anchor: Path = ANCHOR_OPT, as_json: bool = JSON_OPT) -> None:
    """Walk the whole hash chain; exit 1 naming the first changed, removed or reordered record."""
    text = _read_anchor(anchor)
    result = run(database, lambda s, a: service.verify(session=s, actor=a, anchor=text))
    if as_json:
        print_json(result)
    elif result.problem is None:
        pending = f"; {result.unsealed} waiting to be sealed" if result.unsealed else ""
        typer.echo(f"audit chain intact: {result.checked} records{pending}")
    else:
        p = result.problem
        typer.echo(f"audit chain broken: {p.kind} at seq {p.seq}: {p.detail}", err=True)
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def anchor(
    database: str = DB_OPT,
    output: Path = typer.Option(None, "--output", "-o", help="Write the anchor here instead of stdout."),
) -> None:
    """Print a signed checkpoint of the chain head (JSON); keep it outside Vigil for `verify --anchor`."""
    taken = run(database, lambda s, a: service.anchor(session=s, actor=a))
    text = json.dumps(taken.model_dump(), indent=2, sort_keys=True) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    typer.echo(f"anchored seq {taken.seq} ({taken.records} records) in {output}", err=True)


@app.command("rotate-key")
def rotate_key() -> None:
    """Append a new key to the audit key file and make it current; old keys stay to verify old records."""
    try:
        key_id = auditkey.rotate()
    except (Invalid, OSError) as exc:
        fail(exc.detail if isinstance(exc, Invalid) else str(exc))
    source = auditkey.keyring().source
    typer.echo(f"new audit key {key_id} in {source}; restart Vigil's processes and back the file up")


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
            str(r.seq) if r.seq is not None else "pending",
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
