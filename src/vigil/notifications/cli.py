"""`vigil notifications ...`: your inbox from a terminal or a script (locally or on a server)."""

from __future__ import annotations

import uuid

import typer
from rich.console import Console
from rich.table import Table

from vigil.cli_support import DB_OPT, JSON_OPT, call, fail, print_json, timestamp
from vigil.notifications.library import Notifications

app = typer.Typer(help="Your notifications: list, mark read.", no_args_is_help=True)


@app.command("list")
def list_(
    unread: bool = typer.Option(False, "--unread", help="Only notifications not read yet."),
    limit: int = typer.Option(50, min=1, max=200),
    cursor: str = typer.Option(None, help="Continue from a previous page's next_cursor."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Your notifications, newest first."""
    page = call(database, lambda t: Notifications(t).list(unread=unread, limit=limit, cursor=cursor))
    if as_json:
        print_json({"items": page.items, "next_cursor": page.next_cursor})
        return
    if not page.items:
        typer.echo("no unread notifications" if unread else "no notifications")
        return
    table = Table(box=None, pad_edge=False, header_style="bold underline")
    table.add_column("", no_wrap=True)
    table.add_column("When", no_wrap=True)
    table.add_column("Notification", overflow="fold", min_width=20)
    table.add_column("Id", no_wrap=True)
    for n in page.items:
        table.add_row("•" if n.read_at is None else " ", timestamp(n.created_at), n.title, str(n.id))
    Console().print(table)
    if page.next_cursor:
        typer.echo(f"more: --cursor {page.next_cursor}")


@app.command()
def read(
    notification_id: str = typer.Argument(None, metavar="ID", help="The notification to mark read."),
    all_: bool = typer.Option(False, "--all", help="Mark every unread notification read."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Mark one notification (ID) or all of them (--all) read."""
    if all_ == (notification_id is not None):
        fail("give a notification ID or --all, not both")
    if all_:
        marked = call(database, lambda t: Notifications(t).mark_all_read())
        if as_json:
            print_json({"marked": marked})
        else:
            typer.echo(f"marked {marked} notification{'s' if marked != 1 else ''} read")
        return
    try:
        ref = str(uuid.UUID(notification_id))
    except ValueError:
        fail(f"{notification_id!r} is not a notification id (a UUID)")
    note = call(database, lambda t: Notifications(t).mark_read(ref))
    if as_json:
        print_json(note)
    else:
        typer.echo(f"read: {note.title}")
