"""`vigil report sla`: the SLA compliance report (% met per priority, team and month) in a terminal or
as JSON, on the local database or on a server, like GET /api/v1/incidents/sla-report."""

from __future__ import annotations

from datetime import datetime

import typer
from rich.console import Console
from rich.table import Table

from vigil.cli_support import DB_OPT, JSON_OPT, call, print_json, validated
from vigil.core.facade import Operation, Transport, query
from vigil.incidents.schemas_sla_report import Dimension, Metric, SlaReport, SlaReportFilter
from vigil.incidents.service import sla_report

app = typer.Typer(help="Reports: SLA compliance.", no_args_is_help=True)


@app.callback()
def reports() -> None:
    """Reports: SLA compliance."""  # a group of its own, so its one command is `vigil report sla`


TITLES = {Dimension.PRIORITY: "Priority", Dimension.TEAM: "Team", Dimension.MONTH: "Month"}


def fetch(t: Transport, filters: SlaReportFilter) -> SlaReport:
    """The report through either transport: the service in-process, or the API over HTTP."""
    return t.run(
        Operation(
            local=lambda s, a: sla_report.report(session=s, actor=a, filters=filters),
            method="GET",
            path="/incidents/sla-report",
            query=query(filters),
            answer=SlaReport.model_validate,
        )
    )


@app.command("sla")
def sla(
    metric: Metric = typer.Option(Metric.RESOLUTION, help="Which clock: response or resolution."),
    from_: datetime = typer.Option(None, "--from", formats=["%Y-%m-%d"], help="First start day (UTC)."),
    to: datetime = typer.Option(None, "--to", formats=["%Y-%m-%d"], help="Last start day (UTC), inclusive."),
    database: str = DB_OPT,
    as_json: bool = JSON_OPT,
) -> None:
    """SLA compliance: clocks met and breached (% met) and still open, per priority, team and month."""
    filters: SlaReportFilter = validated(
        SlaReportFilter,
        {"metric": metric, "from": from_.date() if from_ else None, "to": to.date() if to else None},
    )
    report = call(database, lambda t: fetch(t, filters))
    if as_json:
        print_json(report.model_dump(mode="json", by_alias=True))
        return
    console = Console()
    console.print(f"[bold]SLA compliance[/bold]: {report.metric} clocks")
    for dimension, title in TITLES.items():
        table = Table(box=None, pad_edge=False, header_style="bold underline", title_justify="left")
        for name in (title, "Met", "Breached", "% met", "Open"):
            table.add_column(name, no_wrap=True, justify="left" if name == title else "right")
        for row in report.of(dimension):
            percent = "-" if row.percent_met is None else f"{row.percent_met:.1f}"
            table.add_row(row.key, str(row.met), str(row.breached), percent, str(row.open))
        if not table.row_count:
            table.add_row("(no clocks)", "", "", "", "")
        console.print()
        console.print(table)
