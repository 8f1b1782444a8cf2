"""The SLA compliance page (/reports/sla, staff only): tables per priority, team and month, and a chart
of % met per month and priority drawn as SVG by pygal (/reports/sla/chart.svg)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

import pygal
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from pygal.style import Style

from vigil.auth.deps import WebActor
from vigil.core import validation
from vigil.core.errors import Forbidden, Invalid, VigilError
from vigil.incidents.schemas_sla_report import Dimension, Metric, SlaReportFilter, SlaReportRow
from vigil.incidents.service import sla_report
from vigil.web.deps import Db
from vigil.web.templating import render, render_error

router = APIRouter(prefix="/reports", include_in_schema=False)

PARAMS = ("metric", "from", "to")
TITLES = {Dimension.PRIORITY: "Per priority", Dimension.TEAM: "Per team", Dimension.MONTH: "Per month"}
#: Series colours readable on the light and the dark page alike (mid-tone, distinct in hue).
COLORS = ("#e5484d", "#f08c00", "#3e9bd6", "#2fa37c", "#8e6bd8")
#: The chart's own styles: its text follows the page's colour scheme. An <img> cannot read the page's
#: CSS, so the SVG carries them (pygal's `inline:` css entries, scoped to the chart like pygal's own).
CHART_CSS = "inline:" + " ".join(
    (
        "{{ id }}text, {{ id }}.title, {{ id }}.legends .legend text, {{ id }}.axis text,",
        "{{ id }}.axis text.major { fill: #4a5263; }",
        "{{ id }}.axis .guide.line { stroke: #c9ced8; }",
        "{{ id }}.axis .line, {{ id }}.axis .major.line { stroke: #8a93a6; }",
        "@media (prefers-color-scheme: dark) {",
        "{{ id }}text, {{ id }}.title, {{ id }}.legends .legend text, {{ id }}.axis text,",
        "{{ id }}.axis text.major { fill: #c4cbe0; }",
        "{{ id }}.axis .guide.line { stroke: #394257; }",
        "{{ id }}.axis .line, {{ id }}.axis .major.line { stroke: #6b7489; } }",
    )
)
#: A strict policy for the chart document: its inline <style> applies, nothing else loads or runs.
CHART_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
}
SIZES = {"wide": (900, 380), "narrow": (340, 380)}


def _filters(request: Request) -> SlaReportFilter:
    raw = {k: v.strip() for k in PARAMS if (v := request.query_params.get(k, "")).strip()}
    return SlaReportFilter.model_validate(raw)


def _chart_style(wide: bool) -> Style:
    return Style(
        background="transparent",
        plot_background="transparent",
        foreground="#4a5263",
        foreground_strong="#4a5263",
        foreground_subtle="#8a93a6",
        guide_stroke_color="#8a93a6",
        major_guide_stroke_color="#8a93a6",
        opacity=".85",
        opacity_hover=".95",
        colors=COLORS,
        font_family='system-ui, -apple-system, "Segoe UI", Roboto, sans-serif',
        label_font_size=13 if wide else 14,
        major_label_font_size=13 if wide else 14,
        legend_font_size=14 if wide else 15,
        title_font_size=16,
        no_data_font_size=20,
    )


def chart_svg(months: dict[str, dict[str, SlaReportRow]], metric: Metric, size: str) -> str:
    """% met per month (x) and priority (one bar series each); months with nothing counted are gaps."""
    width, height = SIZES.get(size, SIZES["wide"])
    wide = size != "narrow"
    chart = pygal.Bar(
        style=_chart_style(wide),
        width=width,
        height=height,
        js=[],  # no scripts: the chart is a picture, the tables hold the numbers
        range=(0, 100),
        y_title=f"% of {metric} clocks met",
        legend_at_bottom=True,
        legend_at_bottom_columns=5,
        x_label_rotation=0 if wide or len(months) <= 3 else 45,
        truncate_legend=-1,
        no_data_text="No clocks counted",
        print_values=False,
    )
    chart.config.css.append(CHART_CSS.replace("{{ id }}", f"#chart-{chart.uuid} "))  # as pygal scopes its own
    chart.x_labels = list(months)
    priorities = sorted({p for by_priority in months.values() for p in by_priority})
    for priority in priorities:
        chart.add(priority, [_percent(months[m].get(priority)) for m in months])
    return _without_scripts(chart.render_tree())


def _without_scripts(tree: ElementTree.Element) -> str:
    """The SVG as text without the inline config <script> pygal always writes (`js=[]` drops only its
    external scripts): the picture needs none, and the page's CSP would refuse it anyway."""
    for parent in list(tree.iter()):
        for child in [c for c in parent if isinstance(c.tag, str) and c.tag.rsplit("}", 1)[-1] == "script"]:
            parent.remove(child)
    return ElementTree.tostring(tree, encoding="unicode")


def _percent(row: SlaReportRow | None) -> float | None:
    return None if row is None else row.percent_met


@router.get("/sla", response_class=HTMLResponse)
def sla_page(request: Request, db: Db, actor: WebActor) -> Response:
    errors: dict[str, str] = {}
    raw = {k: request.query_params.get(k, "") for k in PARAMS}
    try:
        filters = _filters(request)
    except ValidationError as exc:
        errors = validation.first_per_field(exc)
        filters = SlaReportFilter()
    try:
        with db.unit_of_work() as session:
            report = sla_report.report(session=session, actor=actor, filters=filters)
    except (Forbidden, Invalid) as exc:
        return render_error(request, exc.status, exc.title, exc.detail)
    query = urlencode({k: v for k, v in raw.items() if v and not errors})
    ctx: dict[str, Any] = {
        "raw": raw,
        "errors": errors,
        "report": report,
        "metrics": list(Metric),
        "sections": [(TITLES[d], d, report.of(d)) for d in Dimension],
        "chart_url": "/reports/sla/chart.svg" + (f"?{query}" if query else ""),
        "chart_sep": "&" if query else "?",
    }
    return render(request, "incidents/sla_report.html", ctx, status_code=422 if errors else 200)


@router.get("/sla/chart.svg")
def sla_chart(request: Request, db: Db, actor: WebActor, size: str = "wide") -> Response:
    try:
        filters = _filters(request)
        with db.unit_of_work() as session:
            months = sla_report.monthly_by_priority(session=session, actor=actor, filters=filters)
    except ValidationError as exc:
        return Response(validation.summary(exc), status_code=422, media_type="text/plain")
    except VigilError as exc:
        return Response(exc.detail, status_code=exc.status, media_type="text/plain")
    svg = chart_svg(months, filters.metric, size)
    return Response(svg, media_type="image/svg+xml", headers=CHART_HEADERS)
