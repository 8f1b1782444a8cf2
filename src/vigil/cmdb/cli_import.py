"""`vigil cmdb import FILE` and `vigil cmdb import-netbox`: bulk imports on the local database, a Rich
table of the diff (or JSON), a progress bar while writing, and exit 1 naming each line at fault."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from vigil.cli_support import DB_OPT, JSON_OPT, fail, print_json, run
from vigil.cmdb import importer, netbox
from vigil.cmdb.import_schemas import ImportFormat, ImportReport, Where

FORMAT_OPT = typer.Option(None, "--format", help="csv or json (default: from the file's extension).")
DRY_OPT = typer.Option(False, "--dry-run", help="Only show what the import would do; write nothing.")


def _short(value: Any) -> str:
    text = "-" if value in (None, "", [], {}) else str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def show(report: ImportReport, console: Console) -> None:
    """The diff as people read it: a table of what is created, changed (old -> new) and retired, then the
    relationships and the errors."""
    table = Table("", "class", "environment", "name", "change", title="Configuration items")
    for ci in report.created:
        table.add_row("[green]create[/green]", ci.ci_class, ci.environment, ci.name, "")
    for ci in report.changed:
        detail = "; ".join(f"{c.field}: {_short(c.old)} -> {_short(c.new)}" for c in ci.changes)
        table.add_row("[yellow]change[/yellow]", ci.ci_class, ci.environment, ci.name, detail)
    for ci in report.retired:
        table.add_row("[red]retire[/red]", ci.ci_class, ci.environment, ci.name, "gone from the source")
    if table.row_count:
        console.print(table)
    for rel in report.relationships[:50]:
        console.print(f"  relate: {rel.source} {rel.kind} {rel.target}")
    if len(report.relationships) > 50:
        console.print(f"  ... and {len(report.relationships) - 50} more relationships")
    c = report.counts
    if report.applied:
        outcome = "written"
    elif c.errors:
        outcome = "refused: nothing was written"
    else:
        outcome = "not written (a dry run)"
    console.print(
        f"{c.created} created, {c.changed} changed, {c.unchanged} unchanged, {c.retired} retired, "
        f"{c.relationships} relationships added ({c.relationships_unchanged} already there): {outcome}"
    )


def _finish(report: ImportReport, as_json: bool) -> None:
    if as_json:
        print_json(report)
    else:
        show(report, Console(width=200))
    if report.errors:
        lines = "; ".join(
            f"{Where(line=e.line, index=e.index)}: {e.field}: {e.message}" for e in report.errors[:20]
        )
        more = f" (and {len(report.errors) - 20} more)" if len(report.errors) > 20 else ""
        fail(f"nothing was imported: {lines}{more}")


@contextmanager
def _progress(enabled: bool, what: str) -> Iterator[Callable[[int, int], None] | None]:
    if not enabled:
        yield None
        return
    with Progress(transient=True) as bar:
        task = bar.add_task(what, total=None)

        def step(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield step


def _format(path: Path, given: str | None) -> ImportFormat:
    value = (given or path.suffix.lstrip(".")).lower()
    if value not in {str(f) for f in ImportFormat}:
        fail(f"--format: give csv or json (cannot tell from {path.name!r})")
    return ImportFormat(value)


def import_file(
    file: Path = typer.Argument(..., help="A CSV (header row) or JSON file.", exists=True, dir_okay=False),
    fmt: str = FORMAT_OPT,
    dry_run: bool = DRY_OPT,
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Create or update CIs from a CSV or JSON file by natural key; with any error nothing is written."""
    kind = _format(file, fmt)
    content = file.read_text(encoding="utf-8")
    with _progress(not as_json and not dry_run, "importing") as step:
        report = run(
            database,
            lambda s, a: importer.import_text(
                session=s, actor=a, fmt=kind, content=content, dry_run=dry_run, progress=step
            ),
        )
    _finish(report, as_json)


def import_netbox(
    url: str = typer.Option(..., "--url", help="NetBox's base URL."),
    token_file: Path = typer.Option(
        ..., "--token-file", help="A file holding the NetBox API token.", exists=True, dir_okay=False
    ),
    dry_run: bool = DRY_OPT,
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds to wait for each NetBox answer."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """Import sites, racks, devices, clusters, VMs, services, IP addresses and cables from NetBox; CIs gone
    from NetBox are retired. NetBox is read completely before anything is written."""
    token = token_file.read_text(encoding="utf-8").strip()
    if not token:
        fail(f"--token-file: {token_file} is empty")
    client = netbox.NetBoxClient(url, token, timeout=timeout)
    with _progress(not as_json, "reading NetBox and importing") as step:
        report = run(
            database,
            lambda s, a: netbox.import_netbox(
                session=s, actor=a, client=client, dry_run=dry_run, progress=step
            ),
        )
    _finish(report, as_json)


def register(app: typer.Typer) -> None:
    """Add `import` and `import-netbox` to the `vigil cmdb` group."""
    app.command("import")(import_file)
    app.command("import-netbox")(import_netbox)
