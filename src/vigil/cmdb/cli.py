"""`vigil cmdb ...`: list, show, create, change, relate and analyse configuration items, on the local
database or on a server (`vigil login`), through the library's `v.cis` and `v.ci_classes`."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from vigil.cli_support import DB_OPT, JSON_OPT, call, fail, print_json, timestamp
from vigil.cmdb import cli_import
from vigil.cmdb.library import CIClasses, CIs
from vigil.cmdb.schemas import CIRead, ImpactRead, RelationshipRead
from vigil.cmdb.vocabulary import RelKind

app = typer.Typer(help="The CMDB: configuration items, relationships, impact, imports.", no_args_is_help=True)
class_app = typer.Typer(help="CI classes and their attribute schemas.", no_args_is_help=True)
app.add_typer(class_app, name="class")
cli_import.register(app)  # vigil cmdb import, import-netbox

KINDS = ", ".join(k.value for k in RelKind)


def _console() -> Console:
    return Console(width=120)


@app.command("list")
def list_cis(
    q: str = typer.Option(None, "--q", help="Only CIs whose name contains this text."),
    ci_class: str = typer.Option(None, "--class", help="Only CIs of this class (host, database, ...)."),
    environment: str = typer.Option(None, "--environment", help="prod, staging or dev."),
    status: str = typer.Option(None, "--status", help="planned, active, maintenance or retired."),
    owner: str = typer.Option(None, "--owner", help="Only CIs this team owns."),
    tag: str = typer.Option(None, "--tag", help="Only CIs with this tag."),
    limit: int = typer.Option(50, "--limit", help="At most this many (1-200)."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """List configuration items by name."""
    filters = {
        "q": q, "ci_class": ci_class, "environment": environment, "status": status,
        "owner_team": owner, "tag": tag, "limit": limit,
    }  # fmt: skip
    page = call(database, lambda t: CIs(t).list(**{k: v for k, v in filters.items() if v is not None}))
    if as_json:
        print_json(page.model_dump())
        return
    table = Table("name", "class", "env", "status", "crit", "owner")
    for ci in page.items:
        owner_name = ci.owner_team.name if ci.owner_team else "-"
        table.add_row(ci.name, ci.ci_class, ci.environment, ci.status, str(ci.criticality), owner_name)
    _console().print(table)
    if page.next_cursor:
        _console().print("more: narrow the filters or raise --limit")


def _show(ci: CIRead, rels: list[RelationshipRead]) -> None:
    console = _console()
    console.print(f"[bold]{ci.name}[/bold]  {ci.ci_class} in {ci.environment}, {ci.status}")
    console.print(f"  id: {ci.id}")
    console.print(f"  criticality: {ci.criticality}   owner: {ci.owner_team.name if ci.owner_team else '-'}")
    console.print(f"  tags: {', '.join(ci.tags) or '-'}")
    ids = ", ".join(f"{e.source}:{e.external_id}" for e in ci.external_ids)
    console.print(f"  external ids: {ids or '-'}")
    for key, value in sorted(ci.attributes.items()):
        console.print(f"  {key}: {json.dumps(value) if not isinstance(value, str) else value}")
    console.print(f"  updated: {timestamp(ci.updated_at)} (version {ci.version})")
    if rels:
        table = Table("relationship", "CI", "class", "id")
        for r in rels:
            table.add_row(r.label, r.ci.name, r.ci.ci_class, str(r.id))
        console.print(table)


@app.command("show")
def show(
    ref: str = typer.Argument(..., help="The CI's id or name."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Show a configuration item and its relationships both ways."""
    ci, rels = call(database, lambda t: (CIs(t).get(ref), CIs(t).relationships(ref)))
    if as_json:
        print_json({**ci.model_dump(), "relationships": [r.model_dump() for r in rels]})
        return
    _show(ci, rels)


def _attributes(values: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs; a VALUE that is JSON (a number, true, a list) is read as JSON."""
    out: dict[str, Any] = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            fail(f"--attr {item!r} is not KEY=VALUE")
        try:
            out[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            out[key.strip()] = raw
    return out


@app.command("create")
def create(
    name: str = typer.Argument(..., help="The CI's name."),
    ci_class: str = typer.Option("business_service", "--class", help="Its class (vigil cmdb class list)."),
    environment: str = typer.Option("prod", "--environment", help="prod, staging or dev."),
    status: str = typer.Option("active", "--status", help="planned, active, maintenance or retired."),
    criticality: int = typer.Option(3, "--criticality", help="1 (most critical) to 4."),
    owner: str = typer.Option(None, "--owner", help="The owning team."),
    description: str = typer.Option("", "--description"),
    tag: list[str] = typer.Option([], "--tag", help="A tag (repeatable)."),
    attr: list[str] = typer.Option([], "--attr", help="An attribute KEY=VALUE (repeatable; JSON values)."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Register a configuration item."""
    fields: dict[str, Any] = {
        "name": name, "ci_class": ci_class, "environment": environment, "status": status,
        "criticality": criticality, "owner_team": owner, "description": description, "tags": tag,
        "attributes": _attributes(attr),
    }  # fmt: skip
    ci = call(database, lambda t: CIs(t).create(**{k: v for k, v in fields.items() if v is not None}))
    if as_json:
        print_json(ci.model_dump())
        return
    _console().print(f"registered {ci.name} ({ci.ci_class} in {ci.environment}) {ci.id}")


@app.command("update")
def update(
    ref: str = typer.Argument(..., help="The CI's id or name."),
    name: str = typer.Option(None, "--name"),
    environment: str = typer.Option(None, "--environment", help="prod, staging or dev."),
    status: str = typer.Option(None, "--status", help="planned, active, maintenance or retired."),
    criticality: int = typer.Option(None, "--criticality", help="1 (most critical) to 4."),
    owner: str = typer.Option(None, "--owner", help="The owning team."),
    confirm: bool = typer.Option(False, "--confirm", help="Retire even though open work is on it."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Change a configuration item (retiring one with open incidents on it needs --confirm)."""
    fields: dict[str, Any] = {
        "name": name, "environment": environment, "status": status, "criticality": criticality,
        "owner_team": owner,
    }  # fmt: skip
    given = {k: v for k, v in fields.items() if v is not None}
    ci = call(database, lambda t: CIs(t).update(ref, **given, confirm=confirm))
    if as_json:
        print_json(ci.model_dump())
        return
    _console().print(f"{ci.name}: {ci.ci_class} in {ci.environment}, {ci.status} (version {ci.version})")


@app.command("relate")
def relate(
    source: str = typer.Argument(..., help="The CI that relates (id or name)."),
    kind: str = typer.Argument(..., help=f"One of: {KINDS}."),
    target: str = typer.Argument(..., help="The CI it relates to (id or name)."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Relate two CIs: `vigil cmdb relate billing-api runs_on k8s-prod`."""
    rel = call(database, lambda t: CIs(t).relate(source, kind, target=target))
    if as_json:
        print_json(rel.model_dump())
        return
    _console().print(f"{source} {rel.label} {rel.ci.name} ({rel.id})")


@app.command("unrelate")
def unrelate(
    ref: str = typer.Argument(..., help="One end of the relationship (id or name)."),
    relationship_id: str = typer.Argument(..., help="The relationship's id (vigil cmdb show)."),
    database: str = DB_OPT,
) -> None:
    """Remove a relationship."""
    call(database, lambda t: CIs(t).unrelate(ref, relationship_id))
    _console().print("removed")


def _print_impact(read: ImpactRead) -> None:
    console = _console()
    what = "reaches" if read.direction == "upstream" else "relies on"
    console.print(
        f"[bold]{read.origin.name}[/bold] {what} {len(read.items)} CIs within {read.depth} steps, "
        f"{len(read.services)} of them services"
        + (" (truncated: the nearest shown)" if read.truncated else "")
    )
    table = Table("distance", "CI", "class", "crit", "path")
    for item in read.items:
        path = " → ".join(f"{step.label} {step.ci.name}" for step in item.path)
        name = f"[bold]{item.ci.name}[/bold]" if item.is_service else item.ci.name
        table.add_row(str(item.distance), name, item.ci.ci_class, str(item.criticality), path)
    console.print(table)


@app.command("impact")
def impact(
    ref: str = typer.Argument(..., help="The CI's id or name."),
    direction: str = typer.Option(
        "upstream", "--direction", help="upstream: what its failure reaches; downstream: what it relies on."
    ),
    depth: int = typer.Option(10, "--depth", help="How many steps (1-25)."),
    services_only: bool = typer.Option(False, "--services", help="Only the services reached."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Impact analysis: the CIs and services a failure of this CI reaches, each with its path."""
    read = call(database, lambda t: CIs(t).impact(ref, direction=direction, depth=depth))
    if services_only:
        read = read.model_copy(update={"items": read.services})
    if as_json:
        print_json(read.model_dump())
        return
    _print_impact(read)


@app.command("history")
def history(
    ref: str = typer.Argument(..., help="The CI's id or name."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Every recorded change of the CI, oldest first."""
    rows = call(database, lambda t: CIs(t).history(ref))
    if as_json:
        print_json({"items": [r.model_dump() for r in rows]})
        return
    table = Table("when", "who", "what", "changes")
    for r in rows:
        changes = "; ".join(f"{k}: {v[0]!r} → {v[1]!r}" for k, v in r.changes.items() if isinstance(v, list))
        table.add_row(timestamp(r.at), r.actor, r.action, changes)
    _console().print(table)


@class_app.command("list")
def list_classes(database: str = DB_OPT, as_json: bool = JSON_OPT) -> None:
    """List the CI classes."""
    rows = call(database, lambda t: CIClasses(t).list())
    if as_json:
        print_json({"items": [r.model_dump() for r in rows]})
        return
    table = Table("key", "label", "service", "requesters see", "built in", "attributes")
    for c in rows:
        attrs = ", ".join(sorted((c.attribute_schema.get("properties") or {}).keys())) or "-"
        table.add_row(
            c.key, c.label, "yes" if c.is_service else "", "yes" if c.requester_visible else "",
            "yes" if c.builtin else "", attrs,
        )  # fmt: skip
    _console().print(table)


@class_app.command("create")
def create_class(
    key: str = typer.Argument(..., help="lower_case key, such as load_balancer."),
    label: str = typer.Option(..., "--label", help="Its name as people read it."),
    schema: str = typer.Option(None, "--schema", help="A JSON Schema for its attributes (JSON text)."),
    is_service: bool = typer.Option(False, "--service", help="A service: reported by impact analysis."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Add a CI class with its own attribute schema."""
    try:
        parsed = json.loads(schema) if schema else {}
    except json.JSONDecodeError as exc:
        fail(f"--schema is not JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")
    read = call(
        database,
        lambda t: CIClasses(t).create(key=key, label=label, attribute_schema=parsed, is_service=is_service),
    )
    if as_json:
        print_json(read.model_dump())
        return
    _console().print(f"added class {read.key} ({read.label})")
