"""`vigil incident levels`, `level-set` and `category ...`: the incident desk's setup (the escalation
chain and the category list), beside the commands that work incidents in `incidents/cli.py`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from vigil.cli_support import DB_OPT, JSON_OPT, call, print_json
from vigil.incidents.library import Incidents


def levels(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """The escalation chain: which team holds each support level."""
    rows = call(database, lambda t: Incidents(t).escalation_levels())
    if as_json:
        print_json({"items": rows})
        return
    if not rows:
        Console().print(
            "No escalation levels: set them with `vigil incident level-set 1 --name ... --team ...`."
        )
        return
    table = Table(box=None, pad_edge=False, header_style="bold underline")
    for column in ("Level", "Name", "Team"):
        table.add_column(column)
    for r in rows:
        table.add_row(f"L{r.level}", r.name, r.team.name)
    Console().print(table)


def level_set(
    level: int = typer.Argument(..., min=1, max=4, help="1 (L1) to 4 (L4)."),
    name: str = typer.Option(..., help="What the level is called, e.g. 'L2 Network'."),
    team: str = typer.Option(..., help="The team holding it: name or UUID."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Set which team holds a support level (admins)."""
    row = call(database, lambda t: Incidents(t).set_escalation_level(level, name, team))
    if as_json:
        print_json(row)
        return
    Console().print(f"L{row.level} {row.name}: {row.team.name}")


category_app = typer.Typer(help="The incident category list.", no_args_is_help=True)


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


def register(app: typer.Typer) -> None:
    app.command()(levels)
    app.command("level-set")(level_set)
    app.add_typer(category_app, name="category")
